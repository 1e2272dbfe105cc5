package store

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
)

// A ConsumeQueue file that cannot be created on a full disk pauses
// dispatch and puts; once space is back the cleaning tick dispatches the
// record, and nothing acknowledged stays unreadable (a simulator finding:
// dispatch used to stop for good).
func TestDispatchResumesAfterTheDiskFilledUp(t *testing.T) {
	m := newMemStore(t, func(c *Config) { c.CommitLog.FlushMode = commitlog.FlushAsync })
	msgs := putMany(t, m.st, "TopicA", 0, testCQUnitsPerFile) // fills the first ConsumeQueue file
	u, err := m.fs.Usage(m.cfg.RootDir)
	require.NoError(t, err)
	m.fs.SetCapacity(int64(u.TotalBytes - u.FreeBytes))

	// The CommitLog segment has room, so the append succeeds; its unit
	// needs a new ConsumeQueue file, which the full disk refuses.
	last := putOK(t, m.st, newMessage("TopicA", 0, "after", testBodyBytes))
	require.Equal(t, int64(testCQUnitsPerFile), last.queueOffset)
	require.True(t, m.st.DiskFull(), "puts are refused while dispatch waits for space")
	require.Equal(t, int64(testCQUnitsPerFile), m.st.MaxOffsetInQueue("TopicA", 0))

	m.fs.SetCapacity(0)
	m.clock.Advance(m.cfg.CleanResourceInterval)
	require.False(t, m.st.DiskFull())
	requireReadable(t, m.st, append(msgs, last))
	require.NoError(t, m.st.CheckConsistency())
}

// Recovery that cannot re-dispatch for lack of space refuses to open rather
// than restart queue offsets below records that already hold them (a
// simulator finding: the next message took offset 16 a second time).
func TestRecoveryOnAFullDiskRefusesToOpen(t *testing.T) {
	m := newMemStore(t, func(c *Config) { c.CommitLog.FlushMode = commitlog.FlushAsync })
	msgs := putMany(t, m.st, "TopicA", 0, testCQUnitsPerFile)
	u, err := m.fs.Usage(m.cfg.RootDir)
	require.NoError(t, err)
	m.fs.SetCapacity(int64(u.TotalBytes - u.FreeBytes))
	last := putOK(t, m.st, newMessage("TopicA", 0, "after", testBodyBytes))
	m.fs.CrashProcess()
	m.st.Abandon()
	m.st = nil

	_, err = m.tryOpen()
	require.ErrorIs(t, err, ErrDiskFull)

	m.fs.SetCapacity(0)
	st := m.open()
	requireReadable(t, st, append(msgs, last))
	next := putOK(t, st, newMessage("TopicA", 0, "next", testBodyBytes))
	require.Equal(t, last.queueOffset+1, next.queueOffset)
	require.NoError(t, st.CheckConsistency())
}
