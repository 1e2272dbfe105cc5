package commitlog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
)

// masterWith returns a recovered log holding n records of three queues
// (records of 300 to 1000 bytes, so several 4 KiB segments end with
// blank records of various sizes), and the records' results.
func masterWith(t *testing.T, n int) (*Log, []AppendResult) {
	t.Helper()
	l := openRecovered(t, newTestEnv().Env, testConfig())
	var rs []AppendResult
	for i := range n {
		rs = append(rs, mustAppend(t, l, testMsg("T", int32(i%3), 200+(i*97)%700, i)))
	}
	return l, rs
}

// logBytes reads [from, to) of a log through ReadAvailable, segment by
// segment.
func logBytes(t *testing.T, l *Log, from, to int64) []byte {
	t.Helper()
	var out []byte
	for off := from; off < to; {
		b, ref, err := l.ReadAvailable(off, int(to-off))
		require.NoError(t, err, "read at %d", off)
		out = append(out, b...)
		off += int64(len(b))
		ref.Release()
	}
	return out
}

// streamInto feeds src's bytes [from, src.MaxOffset()) to dst in pieces of
// at most pieceBytes, never crossing a segment boundary, as a master's
// frames do.
func streamInto(t *testing.T, src, dst *Log, from int64, pieceBytes int) {
	t.Helper()
	for off := from; off < src.MaxOffset(); {
		b, ref, err := src.ReadAvailable(off, pieceBytes)
		require.NoError(t, err)
		require.NoError(t, dst.AppendRaw(off, b), "raw append at %d", off)
		off += int64(len(b))
		ref.Release()
		require.Equal(t, off, dst.RawEnd())
	}
}

func TestAppendRawCopiesTheLogByteForByte(t *testing.T) {
	for _, piece := range []int{1, 7, 92, 1000, testSegSize} {
		master, rs := masterWith(t, 40)
		require.Greater(t, master.SegmentCount(), 3)
		slave := openRecovered(t, newTestEnv().Env, testConfig())

		streamInto(t, master, slave, 0, piece)

		require.Equal(t, master.MaxOffset(), slave.MaxOffset(), "piece %d", piece)
		require.Equal(t, logBytes(t, master, 0, master.MaxOffset()), logBytes(t, slave, 0, slave.MaxOffset()))
		require.Equal(t, physOffsets(rs), walk(t, slave))
		for q := int32(0); q < 3; q++ {
			require.Equal(t, master.QueueOffset("T", q), slave.QueueOffset("T", q), "queue %d", q)
		}
	}
}

// MaxOffset moves only by whole records while a record arrives byte by
// byte; RawEnd follows every byte.
func TestAppendRawPublishesWholeRecordsOnly(t *testing.T) {
	master, rs := masterWith(t, 3)
	slave := openRecovered(t, newTestEnv().Env, testConfig())
	ends := map[int64]bool{0: true}
	for _, r := range rs {
		ends[r.EndOffset] = true
	}
	raw := logBytes(t, master, 0, master.MaxOffset())
	published := int64(0)
	for i := range raw {
		require.NoError(t, slave.AppendRaw(int64(i), raw[i:i+1]))
		require.Equal(t, int64(i+1), slave.RawEnd())
		max := slave.MaxOffset()
		require.True(t, ends[max], "MaxOffset %d is not a record end", max)
		require.GreaterOrEqual(t, max, published)
		published = max
	}
	require.Equal(t, rs[2].EndOffset, published)
}

// An empty slave starts at its master's newest segment, not at 0, and a
// log that starts there recovers and serves like any other.
func TestAppendRawStartsAnEmptyLogAtASegmentBoundary(t *testing.T) {
	master, rs := masterWith(t, 40)
	start := master.MaxOffset() - master.MaxOffset()%testSegSize
	require.Greater(t, start, int64(0))

	te := newTestEnv()
	slave, err := Open(te.Env, testDir, testConfig())
	require.NoError(t, err)
	_, err = slave.Recover(RecoverOptions{}, nil)
	require.NoError(t, err)
	require.ErrorIs(t, slave.AppendRaw(start+92, []byte{1}), ErrRawOffset, "not a segment boundary")

	streamInto(t, master, slave, start, 500)
	require.Equal(t, start, slave.MinOffset())
	require.Equal(t, master.MaxOffset(), slave.MaxOffset())
	var tail []int64
	for _, r := range rs {
		if r.PhysOffset >= start {
			tail = append(tail, r.PhysOffset)
		}
	}
	require.Equal(t, tail, walk(t, slave))
	require.NoError(t, slave.Close())

	reopened, err := Open(te.Env, testDir, testConfig())
	require.NoError(t, err)
	res, err := reopened.Recover(RecoverOptions{Abnormal: true}, nil)
	require.NoError(t, err)
	t.Cleanup(func() { reopened.Close() })
	require.True(t, res.CleanEnd(), "stop reason %v", res.StopReason)
	require.Equal(t, start, res.ScanStart)
	require.Equal(t, master.MaxOffset(), res.EndOffset)
	require.Equal(t, tail, walk(t, reopened))
}

func TestAppendRawRefusesBytesThatDoNotContinueTheLog(t *testing.T) {
	master, rs := masterWith(t, 5)
	raw := logBytes(t, master, 0, master.MaxOffset())
	slave := openRecovered(t, newTestEnv().Env, testConfig())
	require.NoError(t, slave.AppendRaw(0, raw[:100]))

	tests := []struct {
		name   string
		offset int64
		data   []byte
		want   error
	}{
		{"gap", 101, raw[101:200], ErrRawOffset},
		{"overlap", 99, raw[99:200], ErrRawOffset},
		{"restart at zero", 0, raw[:10], ErrRawOffset},
		{"past the segment end", 100, make([]byte, testSegSize), ErrCrossesSegment},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorIs(t, slave.AppendRaw(tc.offset, tc.data), tc.want)
			require.Equal(t, int64(100), slave.RawEnd(), "a refused append changes nothing")
		})
	}
	require.NoError(t, slave.AppendRaw(100, raw[100:]))
	require.Equal(t, physOffsets(rs), walk(t, slave))
}

// Bytes that are not records are dropped with the record they start; the
// whole records before them stay, and the log resumes from them.
func TestAppendRawDropsCorruptRecords(t *testing.T) {
	master, rs := masterWith(t, 4)
	good := logBytes(t, master, 0, master.MaxOffset())
	r1, r2 := rs[1], rs[2]

	corrupt := func(edit func(b []byte)) []byte {
		b := bytes.Clone(good)
		edit(b[r2.PhysOffset:r2.EndOffset])
		return b
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"bad magic", corrupt(func(b []byte) { b[4] = 0 })},
		{"zero region", corrupt(func(b []byte) { clear(b[:8]) })},
		{"size too small", corrupt(func(b []byte) { binary.BigEndian.PutUint32(b, 40) })},
		{"size past the segment", corrupt(func(b []byte) { binary.BigEndian.PutUint32(b, testSegSize) })},
		{"physical offset", corrupt(func(b []byte) { binary.BigEndian.PutUint64(b[28:], 12345) })},
		{"body length", corrupt(func(b []byte) { binary.BigEndian.PutUint32(b[84:], 3) })},
		{"blank of the wrong size", corrupt(func(b []byte) {
			binary.BigEndian.PutUint32(b[4:], MagicBlank)
			binary.BigEndian.PutUint32(b, 100)
		})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			slave := openRecovered(t, newTestEnv().Env, testConfig())
			err := slave.AppendRaw(0, tc.data[:r2.EndOffset])
			require.ErrorIs(t, err, ErrCorrupt)
			require.Equal(t, r1.EndOffset, slave.MaxOffset())
			require.Equal(t, r1.EndOffset, slave.RawEnd(), "the bad bytes are dropped")
			require.Equal(t, physOffsets(rs[:2]), walk(t, slave))
			require.NoError(t, slave.AppendRaw(r1.EndOffset, good[r1.EndOffset:]))
			require.Equal(t, physOffsets(rs), walk(t, slave))
		})
	}
}

// A promoted slave must cut an incomplete record before it appends, and
// then continues every queue past the replicated records.
func TestAppendAfterRawAppendNeverReusesAQueueOffset(t *testing.T) {
	master, rs := masterWith(t, 6)
	raw := logBytes(t, master, 0, master.MaxOffset())
	slave := openRecovered(t, newTestEnv().Env, testConfig())
	partial := rs[5].PhysOffset + 10
	require.NoError(t, slave.AppendRaw(0, raw[:partial]))
	require.Equal(t, rs[5].PhysOffset, slave.MaxOffset())
	require.Equal(t, partial, slave.RawEnd())

	m := testMsg("T", 0, 10, 99)
	_, err := slave.Append(&m)
	require.ErrorIs(t, err, ErrRawPending)

	require.NoError(t, slave.TruncateTo(slave.MaxOffset()))
	require.Equal(t, rs[5].PhysOffset, slave.RawEnd(), "the incomplete record is dropped")

	r := mustAppend(t, slave, testMsg("T", 2, 10, 99))
	require.Equal(t, rs[5].PhysOffset, r.PhysOffset)
	require.Equal(t, master.QueueOffset("T", 2)-1, r.QueueOffset, "record 5 (queue 2) was cut; queue 2 continues after record 2")
	require.Equal(t, master.QueueOffset("T", 0), slave.QueueOffset("T", 0))
}

// Closing with an incomplete record zeroes its bytes: the next start finds
// a clean end, not a torn record.
func TestCloseDropsAnIncompleteReplicatedRecord(t *testing.T) {
	master, rs := masterWith(t, 3)
	raw := logBytes(t, master, 0, master.MaxOffset())
	te := newTestEnv()
	slave, err := Open(te.Env, testDir, testConfig())
	require.NoError(t, err)
	_, err = slave.Recover(RecoverOptions{}, nil)
	require.NoError(t, err)
	require.NoError(t, slave.AppendRaw(0, raw[:rs[2].PhysOffset+50]))
	require.NoError(t, slave.Close())

	reopened, err := Open(te.Env, testDir, testConfig())
	require.NoError(t, err)
	res, err := reopened.Recover(RecoverOptions{LastSegments: 3}, nil)
	require.NoError(t, err)
	t.Cleanup(func() { reopened.Close() })
	require.ErrorIs(t, res.StopReason, ErrZeroRegion)
	require.Equal(t, rs[1].EndOffset, res.EndOffset)
}

func TestRecordStartAtOrBelow(t *testing.T) {
	l, rs := masterWith(t, 40)
	var blank int64 = -1
	for i := 1; i < len(rs); i++ {
		if rs[i].PhysOffset != rs[i-1].EndOffset {
			blank = rs[i-1].EndOffset
			break
		}
	}
	require.GreaterOrEqual(t, blank, int64(0), "the records span a blank record")
	tests := []struct {
		name   string
		offset int64
		want   int64
	}{
		{"log start", 0, 0},
		{"inside the first record", 5, 0},
		{"record start", rs[3].PhysOffset, rs[3].PhysOffset},
		{"last byte of a record", rs[4].EndOffset - 1, rs[4].PhysOffset},
		{"inside a blank record", blank + 3, blank},
		{"next segment start", l.NextSegmentStart(blank), l.NextSegmentStart(blank)},
		{"inside the last record", rs[39].PhysOffset + 1, rs[39].PhysOffset},
		{"log end", l.MaxOffset(), l.MaxOffset()},
		{"past the end", l.MaxOffset() + 100, l.MaxOffset()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := l.RecordStartAtOrBelow(tc.offset)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
	_, err := l.RecordStartAtOrBelow(-1)
	require.ErrorIs(t, err, ErrOffsetExpired)
}

// A slave's log survives a machine crash like a master's: recovery keeps
// every whole record that was flushed, and the stream resumes at its end.
func TestAppendRawResumesAfterAMachineCrash(t *testing.T) {
	master, rs := masterWith(t, 30)
	te := newTestEnv()
	cfg := testConfig()
	slave, err := Open(te.Env, testDir, cfg)
	require.NoError(t, err)
	_, err = slave.Recover(RecoverOptions{}, nil)
	require.NoError(t, err)
	streamInto(t, master, slave, 0, 700)
	require.NoError(t, slave.TruncateTo(rs[15].PhysOffset))
	require.NoError(t, slave.Flush())
	streamInto(t, master, slave, rs[15].PhysOffset, 700)

	te.mem.CrashMachine(7, env.CrashOptions{TornPage: true})
	reopened, err := Open(te.Env, testDir, cfg)
	require.NoError(t, err)
	res, err := reopened.Recover(RecoverOptions{Abnormal: true}, nil)
	require.NoError(t, err)
	t.Cleanup(func() { reopened.Close() })
	require.GreaterOrEqual(t, res.EndOffset, rs[14].EndOffset, "flushed records survive")
	streamInto(t, master, reopened, reopened.RawEnd(), 700)
	require.Equal(t, logBytes(t, master, 0, master.MaxOffset()), logBytes(t, reopened, 0, reopened.MaxOffset()))
	require.Equal(t, physOffsets(rs), walk(t, reopened))
}

// FuzzAppendRaw feeds arbitrary bytes, in two pieces, to a fresh log as a
// master's stream: whatever they are, the log publishes only records that
// read back, MaxOffset stays a record boundary within RawEnd, and the errors
// are the documented ones.
func FuzzAppendRaw(f *testing.F) {
	f.Add([]byte{}, uint16(0))
	f.Add(make([]byte, 64), uint16(3))
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		if len(data) > testSegSize {
			data = data[:testSegSize]
		}
		l := openRecovered(t, newTestEnv().Env, testConfig())
		split := 0
		if len(data) > 0 {
			split = int(cut) % (len(data) + 1)
		}
		for _, piece := range [][]byte{data[:split], data[split:]} {
			err := l.AppendRaw(l.RawEnd(), piece)
			if err != nil {
				require.ErrorIs(t, err, ErrCorrupt)
			}
			require.LessOrEqual(t, l.MaxOffset(), l.RawEnd())
		}
		// Every published byte belongs to a record that reads back (the
		// body CRC is not a replication check) or to the segment's blank.
		off := int64(0)
		for off < l.MaxOffset() {
			rec, ref, err := l.ReadRecord(off)
			if errors.Is(err, ErrBlank) {
				off = l.NextSegmentStart(off)
				continue
			}
			require.NoError(t, err, "record at %d", off)
			off = rec.EndOffset()
			ref.Release()
		}
		require.Equal(t, off, l.MaxOffset(), "MaxOffset ends the last record")
		require.True(t, bytes.Equal(data[:l.MaxOffset()], logBytes(t, l, 0, l.MaxOffset())), "published bytes are the stream's")
	})
}
