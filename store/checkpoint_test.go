package store

import (
	"encoding/binary"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// goldenCheckpoint and goldenCheckpointHex are one image written out by
// hand from spec/store.md §4.6: five big-endian int64 fields, then zeros to
// 4096 bytes.
var goldenCheckpoint = Checkpoint{
	PhysicMsgTimestampMs: 1_700_000_000_000,
	LogicsMsgTimestampMs: 1_699_999_999_000,
	IndexMsgTimestampMs:  1_699_999_990_000,
	MasterFlushedOffset:  0x0102030405060708,
	ConfirmPhyOffset:     0x7FFFFFFFFFFFFFFF,
	IndexSafePhyOffset:   0x0000000012345678,
}

const goldenCheckpointHex = "" +
	"0000018bcfe56800" + // @0  physicMsgTimestamp 1700000000000
	"0000018bcfe56418" + // @8  logicsMsgTimestamp 1699999999000
	"0000018bcfe540f0" + // @16 indexMsgTimestamp  1699999990000
	"0102030405060708" + // @24 masterFlushedOffset
	"7fffffffffffffff" + // @32 confirmPhyOffset
	"0000000012345678" //   @40 indexSafePhyOffset (Apogee's own)

// unhex decodes a hex string, failing the test on bad input.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

// rocketMQ4xCheckpoint is a checkpoint as RocketMQ 4.x writes it: three
// fields, then zeros.
func rocketMQ4xCheckpoint(physicMs, logicsMs, indexMs int64) []byte {
	b := make([]byte, checkpointSizeBytes)
	binary.BigEndian.PutUint64(b[0:], uint64(physicMs))
	binary.BigEndian.PutUint64(b[8:], uint64(logicsMs))
	binary.BigEndian.PutUint64(b[16:], uint64(indexMs))
	return b
}

func TestEncodeCheckpointGolden(t *testing.T) {
	img := EncodeCheckpoint(goldenCheckpoint)
	require.Len(t, img, 4096)
	require.Equal(t, unhex(t, goldenCheckpointHex), img[:48])
	require.Equal(t, make([]byte, 4096-48), img[48:])

	c, err := DecodeCheckpoint(img)
	require.NoError(t, err)
	require.Equal(t, goldenCheckpoint, c)

	require.Equal(t, make([]byte, 4096), EncodeCheckpoint(Checkpoint{}))
}

func TestDecodeRocketMQ4xCheckpoint(t *testing.T) {
	// Bytes as a 4.x broker leaves them (hand-written): physic
	// 1700000000000, logics 1699999999000, index 0.
	img := make([]byte, 4096)
	copy(img, unhex(t, "0000018bcfe56800"+"0000018bcfe56418"+"0000000000000000"))
	c, err := DecodeCheckpoint(img)
	require.NoError(t, err)
	require.Equal(t, Checkpoint{PhysicMsgTimestampMs: 1_700_000_000_000, LogicsMsgTimestampMs: 1_699_999_999_000}, c)
	require.Equal(t, int64(1_699_999_996_000), c.MinTimestampMs())
	require.Zero(t, c.IndexSafePhyOffset, "a RocketMQ checkpoint trusts no index file")
}

func TestDecodeCheckpointRejects(t *testing.T) {
	negativeAt := func(off int) []byte {
		b := EncodeCheckpoint(goldenCheckpoint)
		b[off] |= 0x80
		return b
	}
	cases := []struct {
		name  string
		image []byte
		msg   string
	}{
		{"empty", nil, "0 bytes"},
		{"ten bytes", make([]byte, 10), "10 bytes"},
		{"one byte short", make([]byte, 4095), "4095 bytes"},
		{"one byte long", make([]byte, 4097), "4097 bytes"},
		{"negative physicMsgTimestamp", negativeAt(0), "negative"},
		{"negative logicsMsgTimestamp", negativeAt(8), "negative"},
		{"negative indexMsgTimestamp", negativeAt(16), "negative"},
		{"negative masterFlushedOffset", negativeAt(24), "negative"},
		{"negative confirmPhyOffset", negativeAt(32), "negative"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := DecodeCheckpoint(tc.image)
			require.ErrorIs(t, err, ErrBadCheckpoint)
			require.ErrorContains(t, err, tc.msg)
			require.Equal(t, Checkpoint{}, c)
		})
	}
}

func TestDecodeCheckpointIgnoresBytesPastTheFields(t *testing.T) {
	img := EncodeCheckpoint(goldenCheckpoint)
	copy(img[48:], strings.Repeat("\xff", 100))
	c, err := DecodeCheckpoint(img)
	require.NoError(t, err)
	require.Equal(t, goldenCheckpoint, c)
}

func TestCheckpointMinTimestamps(t *testing.T) {
	cases := []struct {
		name  string
		cp    Checkpoint
		minMs int64
	}{
		{"logics behind physic", Checkpoint{PhysicMsgTimestampMs: 10_000, LogicsMsgTimestampMs: 8_000, IndexMsgTimestampMs: 9_000}, 5_000},
		{"physic behind logics", Checkpoint{PhysicMsgTimestampMs: 7_000, LogicsMsgTimestampMs: 8_000, IndexMsgTimestampMs: 9_000}, 4_000},
		{"index does not count", Checkpoint{PhysicMsgTimestampMs: 10_000, LogicsMsgTimestampMs: 10_000, IndexMsgTimestampMs: 6_000}, 7_000},
		{"clamped at zero", Checkpoint{PhysicMsgTimestampMs: 1_000, LogicsMsgTimestampMs: 2_000, IndexMsgTimestampMs: 500}, 0},
		{"empty", Checkpoint{}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.minMs, tc.cp.MinTimestampMs())
		})
	}
}

func FuzzDecodeCheckpoint(f *testing.F) {
	f.Add(EncodeCheckpoint(goldenCheckpoint))
	f.Add(rocketMQ4xCheckpoint(1_700_000_000_000, 1_699_999_999_000, 0))
	f.Add([]byte{})
	f.Add(make([]byte, 10))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeCheckpoint(b)
		if err != nil {
			require.ErrorIs(t, err, ErrBadCheckpoint)
			require.Equal(t, Checkpoint{}, c)
			return
		}
		require.Len(t, b, checkpointSizeBytes)
		img := EncodeCheckpoint(c)
		require.Len(t, img, checkpointSizeBytes)
		require.Equal(t, b[:cpFieldsEnd], img[:cpFieldsEnd])
		require.GreaterOrEqual(t, c.MinTimestampMs(), int64(0))
	})
}

func TestStoreWritesCheckpoint(t *testing.T) {
	m := newMemStore(t, nil)
	m.clock.Advance(5 * time.Second)
	putMany(t, m.st, "TopicA", 0, 2)
	m.clock.Advance(time.Second)
	last := putMany(t, m.st, "TopicA", 0, 1)[0]
	require.NoError(t, m.st.Flush())

	img := readFile(t, m.fs, filepath.Join(testRoot, checkpointName))
	require.Len(t, img, checkpointSizeBytes)
	c, err := DecodeCheckpoint(img)
	require.NoError(t, err)
	require.Equal(t, last.storeMs, c.PhysicMsgTimestampMs)
	require.Equal(t, last.storeMs, c.LogicsMsgTimestampMs)
	require.Equal(t, int64(0), c.IndexMsgTimestampMs, "no index file is full yet")
	require.Equal(t, last.physOffset+int64(last.sizeBytes), c.IndexSafePhyOffset, "every dispatched record is indexed durably")
}

func TestCrashRecoveryStartsAtTheCheckpointSegment(t *testing.T) {
	// A RocketMQ 4.x checkpoint chooses where a crash recovery starts: the
	// newest segment whose first record is not newer than minTimestamp.
	build := func(t *testing.T) (*memStore, []sent) {
		m := newMemStore(t, nil)
		var msgs []sent
		for i := range threeSegmentMessages {
			msgs = append(msgs, putMany(t, m.st, "TopicA", int32(i%2), 1)...)
			m.clock.Advance(time.Second)
		}
		require.Equal(t, int64(0), segmentStart(msgs[13].physOffset))
		require.Equal(t, int64(testSegmentBytes), segmentStart(msgs[14].physOffset))
		require.Equal(t, int64(2*testSegmentBytes), segmentStart(msgs[28].physOffset))
		return m, msgs
	}
	cases := []struct {
		name      string
		minTs     func(msgs []sent) int64 // the checkpoint's minTimestamp
		scanStart int64
	}{
		{"first record of the second segment", func(msgs []sent) int64 { return msgs[14].storeMs }, testSegmentBytes},
		{"inside the second segment", func(msgs []sent) int64 { return msgs[20].storeMs }, testSegmentBytes},
		{"older than every segment", func(msgs []sent) int64 { return msgs[0].storeMs - 1 }, 0},
		{"newer than every record", func(msgs []sent) int64 { return msgs[39].storeMs + time.Hour.Milliseconds() }, 2 * testSegmentBytes},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, msgs := build(t)
			m.crashProcess()
			ts := tc.minTs(msgs) + checkpointRecoveryMarginMs
			path := filepath.Join(testRoot, checkpointName)
			f, err := m.fs.Create(path)
			require.NoError(t, err)
			_, err = f.WriteAt(rocketMQ4xCheckpoint(ts, ts, 0), 0)
			require.NoError(t, err)
			require.NoError(t, f.Close())

			st := m.open()
			rep := st.Report()
			require.True(t, rep.Abnormal)
			require.NoError(t, rep.CheckpointErr)
			require.Equal(t, tc.scanStart, rep.CommitLog.ScanStart)
			require.Equal(t, tc.scanStart, rep.RedispatchFrom)
			require.True(t, rep.CommitLog.CleanEnd())
			requireReadable(t, st, msgs)
			requireMaxOffsets(t, st, maxOffsets(msgs), msgs)
			require.NoError(t, st.CheckConsistency())
		})
	}
}
