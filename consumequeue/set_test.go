package consumequeue

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/mappedfile"
)

func keysOf(s *Set) []Key {
	var keys []Key
	for _, q := range s.Queues() {
		keys = append(keys, Key{Topic: q.Topic(), QueueID: q.QueueID()})
	}
	return keys
}

// fillSet creates four queues; queue k of the list gets 5*(k+1) records
// whose CommitLog offsets are shifted so that the maxima differ.
func fillSet(t *testing.T, s *Set) {
	t.Helper()
	for k, key := range []Key{{"TopicB", 1}, {"TopicA", 10}, {"TopicA", 2}, {"TopicA", 0}} {
		q, err := s.GetOrCreate(key.Topic, key.QueueID)
		require.NoError(t, err)
		appendRange(t, q, 0, int64(5*(k+1)))
	}
}

func TestSetOpenAllAndOrder(t *testing.T) {
	e, _ := memEnv(t)
	s, err := OpenAll(e, testRoot, testConfig())
	require.NoError(t, err, "a missing consumequeue directory is an empty set")
	require.Zero(t, s.Len())
	require.Nil(t, s.Get("TopicA", 0))

	fillSet(t, s)
	want := []Key{{"TopicA", 0}, {"TopicA", 2}, {"TopicA", 10}, {"TopicB", 1}}
	require.Equal(t, want, keysOf(s))
	q, err := s.GetOrCreate("TopicA", 2)
	require.NoError(t, err)
	require.Same(t, s.Get("TopicA", 2), q)
	require.Equal(t, physOf(19)+int64(recSize), s.MaxPhysicOffset())
	require.NoError(t, s.FlushAll(0))
	require.NoError(t, s.Close())
	require.Zero(t, s.Len())

	// Reopen, with entries that are not queues lying around.
	base := filepath.Join(testRoot, dirName)
	writeFile(t, e, filepath.Join(base, "readme.txt"), []byte("x"))
	require.NoError(t, e.FS.MkdirAll(filepath.Join(base, "bad.topic", "0")))
	require.NoError(t, e.FS.MkdirAll(filepath.Join(base, "TopicA", "x")))
	require.NoError(t, e.FS.MkdirAll(filepath.Join(base, "TopicA", "07")))
	writeFile(t, e, filepath.Join(base, "TopicA", "5"), []byte("not a dir"))
	log, logs := logBuffer()
	s, err = OpenAll(e, testRoot, Config{FileSizeBytes: testFileSize, Logger: log})
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, want, keysOf(s))
	require.ElementsMatch(t, []string{
		filepath.Join(base, "TopicA", "07"),
		filepath.Join(base, "TopicA", "5"),
		filepath.Join(base, "TopicA", "x"),
		filepath.Join(base, "bad.topic"),
		filepath.Join(base, "readme.txt"),
	}, s.Skipped())
	require.Contains(t, logs.String(), "bad.topic")

	require.NoError(t, s.RecoverAll())
	require.Equal(t, physOf(19)+int64(recSize), s.MaxPhysicOffset())
	for k, key := range []Key{{"TopicB", 1}, {"TopicA", 10}, {"TopicA", 2}, {"TopicA", 0}} {
		q := s.Get(key.Topic, key.QueueID)
		require.NotNil(t, q)
		require.EqualValues(t, 5*(k+1), q.MaxOffset(), "%v", key)
		requireUnits(t, q, 0, int64(5*(k+1)))
	}
}

func TestSetOpenAllFailsOnWrongSizeFile(t *testing.T) {
	e, _ := memEnv(t)
	dir := QueueDir(testRoot, "TopicA", 3)
	writeFile(t, e, filepath.Join(dir, name(0)), make([]byte, testFileSize+1))
	_, err := OpenAll(e, testRoot, testConfig())
	require.ErrorIs(t, err, mappedfile.ErrSegmentSize)
	require.ErrorContains(t, err, "TopicA/3")
}

func TestSetRejectsBadNames(t *testing.T) {
	e, _ := memEnv(t)
	s, err := OpenAll(e, testRoot, testConfig())
	require.NoError(t, err)
	defer s.Close()
	_, err = s.GetOrCreate("a/b", 0)
	require.ErrorIs(t, err, ErrBadName)
	_, err = s.GetOrCreate("TopicA", -3)
	require.ErrorIs(t, err, ErrBadName)
	require.ErrorIs(t, s.DeleteTopic(".."), ErrBadName)
	require.Zero(t, s.Len())
}

func TestSetTruncateDeleteDestroy(t *testing.T) {
	e, _ := memEnv(t)
	s, err := OpenAll(e, testRoot, testConfig())
	require.NoError(t, err)
	defer s.Close()
	fillSet(t, s) // TopicA/0 has 20 records, TopicA/2 15, TopicA/10 10, TopicB/1 5

	require.NoError(t, s.TruncateByPhysOffsetAll(physOf(12)))
	maxOffsets := func() []int64 {
		var out []int64
		for _, q := range s.Queues() {
			out = append(out, q.MaxOffset())
		}
		return out
	}
	require.Equal(t, []int64{12, 12, 10, 5}, maxOffsets())
	require.Equal(t, physOf(11)+int64(recSize), s.MaxPhysicOffset())

	n, err := s.DeleteBelowPhysOffsetAll(physOf(10))
	require.NoError(t, err)
	require.Equal(t, 2, n, "the first file of TopicA/0 and of TopicA/2")
	require.EqualValues(t, 10, s.Get("TopicA", 0).MinOffset())
	require.EqualValues(t, 10, s.Get("TopicA", 10).MinOffset(), "the last file stays, logically empty")
	require.EqualValues(t, 5, s.Get("TopicB", 1).MinOffset())

	require.NoError(t, s.DeleteTopic("TopicA"))
	require.Equal(t, []Key{{"TopicB", 1}}, keysOf(s))
	_, err = e.FS.Stat(filepath.Join(testRoot, dirName, "TopicA"))
	require.Error(t, err)

	require.NoError(t, s.DestroyAll())
	q := s.Get("TopicB", 1)
	require.EqualValues(t, 0, q.MaxOffset())
	require.Zero(t, s.MaxPhysicOffset())
	appendRange(t, q, 0, 1)
	requireUnits(t, q, 0, 1)
}

func TestSetOnRealFS(t *testing.T) {
	// The same story on the operating system's files and mmap.
	e := env.Real()
	root := t.TempDir()
	s, err := OpenAll(e, root, testConfig())
	require.NoError(t, err)
	q, err := s.GetOrCreate("TopicA", 1)
	require.NoError(t, err)
	appendRange(t, q, 0, 25)
	require.NoError(t, s.FlushAll(0))
	require.NoError(t, s.Close())

	s, err = OpenAll(e, root, testConfig())
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.RecoverAll())
	q = s.Get("TopicA", 1)
	require.EqualValues(t, 25, q.MaxOffset())
	requireUnits(t, q, 0, 25)
}
