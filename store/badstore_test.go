package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/consumequeue"
	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/mappedfile"
)

// threeSegmentMessages fills three CommitLog segments (14 + 14 + 12 records
// of about 1.1 KiB in 16 KiB segments).
const threeSegmentMessages = 40

// recordBodyAt is where the body starts in a record with IPv4 hosts (the
// commitlog package doc's layout).
const recordBodyAt = 88

func TestOpenRejectsSegmentOfWrongSize(t *testing.T) {
	cases := []struct {
		name      string
		segment   int64 // index of the segment to resize
		sizeBytes int64
	}{
		{"middle segment cut short", 1, testSegmentBytes / 2},
		{"last segment cut short", 2, 100},
		{"first segment one byte short", 0, testSegmentBytes - 1},
		{"middle segment too long", 1, testSegmentBytes + 4096},
		{"last segment one byte too long", 2, testSegmentBytes + 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newMemStore(t, nil)
			putRoundRobin(t, m.st, "TopicA", 2, threeSegmentMessages)
			m.close()
			require.Len(t, listDir(t, m.fs, filepath.Join(testRoot, commitLogDirName)), 3)

			path := segmentPath(m.cfg, tc.segment*testSegmentBytes)
			resizeFile(t, m.fs, path, tc.sizeBytes)
			for range 2 { // the failed Open released the lock: the second fails the same way
				var err error
				require.NotPanics(t, func() { _, err = m.tryOpen() })
				require.ErrorIs(t, err, mappedfile.ErrSegmentSize)
				require.NotErrorIs(t, err, ErrLocked)
				require.ErrorContains(t, err, filepath.Base(path))
			}
		})
	}
}

func TestEmptyLastSegmentIsDropped(t *testing.T) {
	// A zero-length newest segment is what a crash during creation leaves;
	// RocketMQ deletes it and starts, and so does the store.
	m := newMemStore(t, nil)
	msgs := putRoundRobin(t, m.st, "TopicA", 2, 2*14)
	m.close()
	path := segmentPath(m.cfg, 2*testSegmentBytes)
	f, err := m.fs.Create(path)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	st := m.open()
	_, err = m.fs.Stat(path)
	require.ErrorIs(t, err, fs.ErrNotExist)
	requireReadable(t, st, msgs)
	require.NoError(t, st.CheckConsistency())
}

func TestGarbageCheckpointRecoversFromOldestSegment(t *testing.T) {
	negativeField := EncodeCheckpoint(Checkpoint{PhysicMsgTimestampMs: testStart.UnixMilli(), LogicsMsgTimestampMs: testStart.UnixMilli()})
	binary.BigEndian.PutUint64(negativeField[cpIndexMsgTimestampOff:], uint64(1<<63))
	random := make([]byte, checkpointSizeBytes)
	r := env.NewSeededRand(7)
	for i := range random {
		random[i] = byte(r.Intn(256))
	}
	random[0] |= 0x80 // physicMsgTimestamp negative: never a checkpoint

	cases := []struct {
		name  string
		image []byte
	}{
		{"random bytes", random},
		{"negative field", negativeField},
		{"ten bytes", []byte{0, 0, 1, 2, 3, 4, 5, 6, 7, 8}},
		{"empty", nil},
		{"longer than a page", make([]byte, checkpointSizeBytes+1)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newMemStore(t, nil)
			msgs := putRoundRobin(t, m.st, "TopicA", 2, threeSegmentMessages)
			m.close()
			path := filepath.Join(testRoot, checkpointName)
			f, err := m.fs.Create(path)
			require.NoError(t, err)
			_, err = f.WriteAt(tc.image, 0)
			require.NoError(t, err)
			require.NoError(t, f.Close())

			st := m.open()
			rep := st.Report()
			require.ErrorIs(t, rep.CheckpointErr, ErrBadCheckpoint)
			require.True(t, rep.Abnormal, "an untrusted checkpoint means a full recovery")
			require.Equal(t, int64(0), rep.CommitLog.ScanStart, "scan from the oldest segment")
			require.Equal(t, threeSegmentMessages, rep.CommitLog.Records)
			require.True(t, rep.CommitLog.CleanEnd(), "stop reason %v", rep.CommitLog.StopReason)
			requireReadable(t, st, msgs)
			requireMaxOffsets(t, st, maxOffsets(msgs), msgs)
			require.NoError(t, st.CheckConsistency())

			// The checkpoint was rewritten: the next start trusts it.
			require.Len(t, readFile(t, m.fs, path), checkpointSizeBytes)
			st = m.reopen()
			require.NoError(t, st.Report().CheckpointErr)
			require.False(t, st.Report().Abnormal)
			requireReadable(t, st, msgs)
		})
	}
}

// corruptBody flips a body byte of a stored record in its segment file.
func corruptBody(t *testing.T, m *memStore, rec sent) {
	t.Helper()
	path := segmentPath(m.cfg, segmentStart(rec.physOffset))
	off := rec.physOffset - segmentStart(rec.physOffset) + recordBodyAt + 3
	b := readFile(t, m.fs, path)
	require.Equal(t, rec.body[3], b[off], "the byte to flip is the body's")
	patchFile(t, m.fs, path, off, []byte{b[off] ^ 0x5A})
}

// requireCutAt checks a store recovered to the record before msgs[k]: the
// earlier records read back, the later ones are gone from CommitLog and
// ConsumeQueues, and new puts continue right after the survivors.
func requireCutAt(t *testing.T, st *Store, msgs []sent, k int) {
	t.Helper()
	rep := st.Report()
	require.ErrorIs(t, rep.CommitLog.StopReason, commitlog.ErrCRCMismatch)
	require.ErrorIs(t, rep.CommitLog.StopReason, commitlog.ErrCorrupt)
	require.False(t, rep.CommitLog.CleanEnd())
	require.Equal(t, msgs[k].physOffset, rep.CommitLog.EndOffset)
	require.Equal(t, msgs[k].physOffset, st.CommitLogMaxOffset())

	survivors := msgs[:k]
	requireReadable(t, st, survivors)
	want := maxOffsets(survivors)
	requireMaxOffsets(t, st, want, msgs)
	for _, gone := range msgs[k:] {
		r := st.Get(gone.topic, gone.queueID, gone.queueOffset, 1, nil)
		require.NotEqual(t, GetFound, r.Status, "%s/%d@%d survived the cut", gone.topic, gone.queueID, gone.queueOffset)
		r.Release()
	}
	require.NoError(t, st.CheckConsistency())

	// New puts take the next offsets of each queue, never one a survivor holds.
	var fresh []sent
	for _, qid := range []int32{0, 1} {
		next := st.MaxOffsetInQueue("TopicA", qid)
		s := putOK(t, st, newMessage("TopicA", qid, "after the cut", testBodyBytes))
		require.Equal(t, next, s.queueOffset)
		fresh = append(fresh, s)
	}
	require.Equal(t, msgs[k].physOffset, fresh[0].physOffset, "the log continues where the valid data ends")
	requireReadable(t, st, append(survivors, fresh...))
	require.NoError(t, st.CheckConsistency())
}

func TestCorruptRecordAfterCleanShutdown(t *testing.T) {
	// Normal recovery scans the newest segments (14 records each), so the
	// corrupt record is in the last one; the first record of a segment
	// makes the scan start one segment earlier.
	cases := []struct {
		name string
		k    int
	}{
		{"middle of the last segment", 33},
		{"first record of the last segment", 28},
		{"last record", threeSegmentMessages - 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newMemStore(t, nil)
			msgs := putRoundRobin(t, m.st, "TopicA", 2, threeSegmentMessages)
			require.Equal(t, int64(2*testSegmentBytes), segmentStart(msgs[tc.k].physOffset))
			m.close()
			corruptBody(t, m, msgs[tc.k])

			st := m.open()
			require.False(t, st.Report().Abnormal)
			requireCutAt(t, st, msgs, tc.k)

			// The cut is durable: a clean restart finds the same store.
			st = m.reopen()
			require.True(t, st.Report().CommitLog.CleanEnd())
			requireReadable(t, st, msgs[:tc.k])
			require.NoError(t, st.CheckConsistency())
		})
	}
}

func TestCorruptRecordInMiddleSegmentAfterCrash(t *testing.T) {
	// Four segments; record 20 sits in the second. The clock never moves,
	// so every record is newer than the checkpoint's minTimestamp and the
	// crash recovery scans from the oldest segment.
	m := newMemStore(t, nil)
	msgs := putRoundRobin(t, m.st, "TopicA", 2, 50)
	cl := filepath.Join(testRoot, commitLogDirName)
	require.Len(t, listDir(t, m.fs, cl), 4)
	const k = 20
	require.Equal(t, int64(testSegmentBytes), segmentStart(msgs[k].physOffset))
	m.crashProcess()
	corruptBody(t, m, msgs[k])

	st := m.open()
	rep := st.Report()
	require.True(t, rep.Abnormal)
	require.Equal(t, int64(0), rep.CommitLog.ScanStart)
	require.Equal(t, 2, rep.CommitLog.SegmentsRemoved)
	require.Equal(t, []string{filepath.Base(segmentPath(m.cfg, 0)), filepath.Base(segmentPath(m.cfg, testSegmentBytes))},
		listDir(t, m.fs, cl), "segments after the corrupt one removed, earlier kept")
	requireCutAt(t, st, msgs, k)
}

func TestCorruptRecordAfterMachineCrash(t *testing.T) {
	// Everything flushed, then a machine crash: the flipped byte was synced,
	// so it is the disk that went bad, not the crash.
	m := newMemStore(t, nil)
	msgs := putRoundRobin(t, m.st, "TopicA", 2, threeSegmentMessages)
	require.NoError(t, m.st.Flush())
	m.fs.CrashMachine(3, env.CrashOptions{TornPage: true})
	m.st.Abandon()
	m.st = nil
	const k = 17
	corruptBody(t, m, msgs[k])

	st := m.open()
	require.True(t, st.Report().Abnormal)
	requireCutAt(t, st, msgs, k)
}

// cqUnitPath returns the ConsumeQueue file holding queueOffset and the
// unit's byte offset in it.
func cqUnitPath(cfg Config, topic string, queueID int32, queueOffset int64) (string, int64) {
	fileBytes := int64(cfg.ConsumeQueueUnitsPerFile) * consumequeue.UnitSize
	pos := queueOffset * consumequeue.UnitSize
	start := pos - pos%fileBytes
	return filepath.Join(consumequeue.QueueDir(cfg.RootDir, topic, queueID), padOffset(start)), pos - start
}

// padOffset is the 20-digit file name of a byte offset.
func padOffset(off int64) string { return fmt.Sprintf("%020d", off) }

func TestGarbageConsumeQueueUnitIsRebuilt(t *testing.T) {
	cases := []struct {
		name  string
		patch func(unit []byte)
	}{
		{"negative size", func(u []byte) { binary.BigEndian.PutUint32(u[8:], 0xFFFFFFFF) }},
		{"zero size", func(u []byte) { binary.BigEndian.PutUint32(u[8:], 0) }},
		{"negative offset", func(u []byte) { binary.BigEndian.PutUint64(u[0:], 1<<63) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newMemStore(t, nil)
			msgs := putRoundRobin(t, m.st, "TopicA", 2, 80) // 40 units per queue: 3 files
			require.NoError(t, m.st.Flush())
			m.crashProcess()

			// Unit 20 of queue 0 sits in the middle of its second file.
			path, off := cqUnitPath(m.cfg, "TopicA", 0, 20)
			before := readFile(t, m.fs, path)
			unit := append([]byte(nil), before[off:off+consumequeue.UnitSize]...)
			tc.patch(unit)
			patchFile(t, m.fs, path, off, unit)

			st := m.open()
			require.True(t, st.Report().Abnormal)
			requireMaxOffsets(t, st, maxOffsets(msgs), msgs)
			requireReadable(t, st, msgs)
			require.NoError(t, st.CheckConsistency())
			require.Equal(t, before[off:off+consumequeue.UnitSize], readFile(t, m.fs, path)[off:off+consumequeue.UnitSize],
				"the unit was rebuilt from the CommitLog")

			next := putOK(t, st, newMessage("TopicA", 0, "after", testBodyBytes))
			require.Equal(t, int64(40), next.queueOffset)
		})
	}
}

// treeBytes returns the contents of every file under dir, by path.
func treeBytes(t *testing.T, fsys env.FS, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, name := range listDir(t, fsys, dir) {
		p := filepath.Join(dir, name)
		info, err := fsys.Stat(p)
		require.NoError(t, err)
		if info.IsDir {
			for k, v := range treeBytes(t, fsys, p) {
				out[k] = v
			}
			continue
		}
		out[p] = readFile(t, fsys, p)
	}
	return out
}

func TestAbortFileOnCleanStoreChangesNothing(t *testing.T) {
	m := newMemStore(t, nil)
	msgs := putRoundRobin(t, m.st, "TopicA", 2, threeSegmentMessages)
	msgs = append(msgs, putOK(t, m.st, newMessage("TopicB", 0, "b", 10, commitlog.PropertyKeys, "k1 k2")))
	maxPhys := m.st.CommitLogMaxOffset()
	m.close()
	var before = map[string]map[string][]byte{}
	// The index is left out: like RocketMQ's buildIndex, re-dispatch skips
	// only records below the newest file's end offset, so the last record's
	// keys are indexed again (queries drop the duplicate, checked below).
	for _, dir := range []string{commitLogDirName, "consumequeue"} {
		before[dir] = treeBytes(t, m.fs, filepath.Join(testRoot, dir))
		require.NotEmpty(t, before[dir], dir)
	}

	f, err := m.fs.Create(filepath.Join(testRoot, abortName))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	st := m.open()
	rep := st.Report()
	require.True(t, rep.Abnormal)
	require.NoError(t, rep.CheckpointErr)
	require.True(t, rep.CommitLog.CleanEnd())
	require.Equal(t, maxPhys, st.CommitLogMaxOffset())
	requireReadable(t, st, msgs)
	requireMaxOffsets(t, st, maxOffsets(msgs), msgs)
	require.NoError(t, st.CheckConsistency())
	q, err := st.QueryByKey("TopicB", "k2", 10, 0, testStart.UnixMilli()+1000)
	require.NoError(t, err)
	require.Len(t, q.Messages, 1, "re-dispatch does not index a record twice")
	q.Release()

	m.close()
	for dir, files := range before {
		requireSameFiles(t, files, treeBytes(t, m.fs, filepath.Join(testRoot, dir)))
	}
}

// requireSameFiles compares two treeBytes snapshots without printing the
// contents.
func requireSameFiles(t *testing.T, want, got map[string][]byte) {
	t.Helper()
	require.Equal(t, slices.Sorted(maps.Keys(want)), slices.Sorted(maps.Keys(got)))
	for path, b := range want {
		require.True(t, bytes.Equal(b, got[path]), "%s changed", path)
	}
}
