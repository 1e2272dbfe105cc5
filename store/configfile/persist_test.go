package configfile

import (
	"errors"
	"io/fs"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
)

const testRoot = "/store"

func newMemFS(t *testing.T) *env.MemFS {
	t.Helper()
	return env.NewMemFS(env.NewManualClock(time.Unix(1700000000, 0)))
}

// offsetsVersion is a consumerOffset.json whose counter tells versions
// apart.
func offsetsVersion(t *testing.T, counter int64) []byte {
	t.Helper()
	data, err := MarshalConsumerOffsets(&ConsumerOffsetTable{
		DataVersion:  &DataVersion{Counter: counter},
		QueueOffsets: map[string]map[int32]int64{"t@g": {0: counter}},
	})
	require.NoError(t, err)
	return data
}

func parseOffsets(data []byte) error {
	_, err := ParseConsumerOffsets(data)
	return err
}

// readAll returns the content of name, or nil when it is missing.
func readAll(t *testing.T, fsys env.FS, name string) []byte {
	t.Helper()
	data, err := readFile(fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	require.NoError(t, err)
	return data
}

func writeRaw(t *testing.T, fsys env.FS, name string, data []byte) {
	t.Helper()
	require.NoError(t, fsys.MkdirAll(testRoot+"/config"))
	require.NoError(t, writeSynced(fsys, name, data))
}

func TestStoreKeepsPreviousVersionAsBackup(t *testing.T) {
	mem := newMemFS(t)
	path := FilePath(testRoot, ConsumerOffsetFile)
	v1, v2, v3 := offsetsVersion(t, 1), offsetsVersion(t, 2), offsetsVersion(t, 3)

	require.NoError(t, Store(mem, path, v1), "Store creates the config directory")
	assert.Equal(t, v1, readAll(t, mem, path))
	assert.Nil(t, readAll(t, mem, path+BackupSuffix))

	require.NoError(t, Store(mem, path, v2))
	require.NoError(t, Store(mem, path, v3))
	assert.Equal(t, v3, readAll(t, mem, path))
	assert.Equal(t, v2, readAll(t, mem, path+BackupSuffix))
	assert.Nil(t, readAll(t, mem, path+TempSuffix))

	// Everything is durable: a power loss right after changes nothing.
	mem.CrashMachine(1, env.CrashOptions{KeepNoPages: true})
	assert.Equal(t, v3, readAll(t, mem, path))
	assert.Equal(t, v2, readAll(t, mem, path+BackupSuffix))
}

func TestStoreDoesNotRotateAnEmptyFile(t *testing.T) {
	mem := newMemFS(t)
	path := FilePath(testRoot, ConsumerOffsetFile)
	v1 := offsetsVersion(t, 1)
	writeRaw(t, mem, path+BackupSuffix, v1)
	writeRaw(t, mem, path, nil)

	require.NoError(t, Store(mem, path, offsetsVersion(t, 2)))
	assert.Equal(t, v1, readAll(t, mem, path+BackupSuffix), "the good backup is not replaced by an empty file")
}

func TestStoreRefusesOversizedData(t *testing.T) {
	mem := newMemFS(t)
	err := Store(mem, FilePath(testRoot, TopicsFile), make([]byte, MaxDocumentBytes+1))
	require.ErrorIs(t, err, ErrTooLarge)
}

func TestLoadSources(t *testing.T) {
	v1, v2 := offsetsVersion(t, 1), offsetsVersion(t, 2)
	tests := []struct {
		name        string
		primary     []byte // nil: missing
		backup      []byte // nil: missing
		wantData    []byte
		wantSource  Source
		wantErr     error
		wantCorrupt bool // primary moved to .corrupt
	}{
		{name: "both missing", wantSource: SourceNone},
		{name: "both empty", primary: []byte{}, backup: []byte{}, wantSource: SourceNone},
		{name: "primary good", primary: v2, backup: v1, wantData: v2, wantSource: SourcePrimary},
		{name: "primary good, no backup", primary: v2, wantData: v2, wantSource: SourcePrimary},
		{name: "primary missing", backup: v1, wantData: v1, wantSource: SourceBackup},
		{name: "primary empty", primary: []byte{}, backup: v1, wantData: v1, wantSource: SourceBackup},
		{name: "primary corrupt", primary: []byte(`{"offsetTable":`), backup: v1, wantData: v1, wantSource: SourceBackup, wantCorrupt: true},
		{name: "primary wrong type", primary: []byte(`[]`), backup: v1, wantData: v1, wantSource: SourceBackup, wantCorrupt: true},
		{name: "primary corrupt, no backup", primary: []byte(`garbage`), wantErr: ErrNoValidCopy},
		{name: "primary corrupt, empty backup", primary: []byte(`garbage`), backup: []byte{}, wantErr: ErrNoValidCopy},
		{name: "both corrupt", primary: []byte(`garbage`), backup: []byte(`{`), wantErr: ErrNoValidCopy},
		{name: "primary missing, backup corrupt", backup: []byte(`{`), wantErr: ErrNoValidCopy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := newMemFS(t)
			path := FilePath(testRoot, ConsumerOffsetFile)
			if tt.primary != nil {
				writeRaw(t, mem, path, tt.primary)
			}
			if tt.backup != nil {
				writeRaw(t, mem, path+BackupSuffix, tt.backup)
			}
			data, src, err := Load(mem, path, parseOffsets)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.Contains(t, err.Error(), path)
				assert.Contains(t, err.Error(), path+BackupSuffix)
				assert.Equal(t, tt.primary, readAll(t, mem, path), "nothing is moved when no copy is usable")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantSource, src)
			assert.Equal(t, tt.wantData, data)
			if tt.wantCorrupt {
				assert.Nil(t, readAll(t, mem, path))
				assert.Equal(t, tt.primary, readAll(t, mem, path+CorruptSuffix))
			} else {
				assert.Nil(t, readAll(t, mem, path+CorruptSuffix))
			}
		})
	}
}

func TestLoadErrorNamesTheFileAndTheCause(t *testing.T) {
	mem := newMemFS(t)
	path := FilePath(testRoot, TopicsFile)
	writeRaw(t, mem, path, []byte(`{"topicConfigTable":{"A":{"perm":"rw"}}}`))
	_, _, err := LoadTopics(mem, path)
	require.ErrorIs(t, err, ErrNoValidCopy)
	require.ErrorIs(t, err, ErrSchema)
	assert.Contains(t, err.Error(), `/store/config/topics.json: configfile: invalid document: topicConfigTable["A"].perm: cannot use string as int32`)
}

func TestLoadDoesNotFallBackOnIOErrors(t *testing.T) {
	for _, kind := range []env.OpKind{env.OpOpen, env.OpRead} {
		t.Run(kind.String(), func(t *testing.T) {
			mem := newMemFS(t)
			path := FilePath(testRoot, ConsumerOffsetFile)
			v1, v2 := offsetsVersion(t, 1), offsetsVersion(t, 2)
			require.NoError(t, Store(mem, path, v1))
			require.NoError(t, Store(mem, path, v2))

			mem.SetRule(env.FailOnce(kind, ConsumerOffsetFile))
			_, _, err := Load(mem, path, parseOffsets)
			require.ErrorIs(t, err, env.ErrInjected)
			assert.NotErrorIs(t, err, ErrNoValidCopy)

			data, src, err := Load(mem, path, parseOffsets)
			require.NoError(t, err)
			assert.Equal(t, SourcePrimary, src)
			assert.Equal(t, v2, data)
		})
	}
}

func TestLoadOversizedCopyIsCorrupt(t *testing.T) {
	mem := newMemFS(t)
	path := FilePath(testRoot, DelayOffsetFile)
	v1 := offsetsVersion(t, 1)
	writeRaw(t, mem, path+BackupSuffix, v1)
	f, err := mem.Create(path)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(MaxDocumentBytes+1))
	require.NoError(t, f.Close())

	data, src, err := Load(mem, path, parseOffsets)
	require.NoError(t, err)
	assert.Equal(t, SourceBackup, src)
	assert.Equal(t, v1, data)
}

// TestStoreFailureAtEveryStep fails each file-system operation of a Store
// in turn: the store reports the error, and the file still loads as the old
// or (once the final rename happened) the new version.
func TestStoreFailureAtEveryStep(t *testing.T) {
	v1, v2 := offsetsVersion(t, 1), offsetsVersion(t, 2)
	path := FilePath(testRoot, ConsumerOffsetFile)
	for failAt := 0; ; failAt++ {
		mem := newMemFS(t)
		require.NoError(t, Store(mem, path, offsetsVersion(t, 0)))
		require.NoError(t, Store(mem, path, v1))

		ops, failed := 0, false
		mem.SetRule(func(op env.Op) error {
			ops++
			if ops-1 == failAt {
				failed = true
				return env.ErrNoSpace
			}
			return nil
		})
		err := Store(mem, path, v2)
		mem.SetRule(nil)
		if !failed {
			require.NoError(t, err)
			require.Greater(t, failAt, 3, "Store takes several steps")
			break
		}
		require.ErrorIs(t, err, env.ErrNoSpace, "step %d", failAt)

		data, src, err := Load(mem, path, parseOffsets)
		require.NoError(t, err, "step %d", failAt)
		assert.Equal(t, SourcePrimary, src, "step %d: the primary file is intact", failAt)
		if !assert.Contains(t, [][]byte{v1, v2}, data, "step %d", failAt) {
			continue
		}
		if string(data) == string(v1) {
			// The backup is untouched, or gone when the final rename failed
			// and Store moved it back into place.
			assert.Contains(t, [][]byte{offsetsVersion(t, 0), nil}, readAll(t, mem, path+BackupSuffix), "step %d", failAt)
		}
	}
}

func TestStoreRestoresThePrimaryWhenTheFinalRenameFails(t *testing.T) {
	mem := newMemFS(t)
	path := FilePath(testRoot, TopicsFile)
	v1 := offsetsVersion(t, 1)
	require.NoError(t, Store(mem, path, v1))

	mem.SetRule(env.FailOnce(env.OpRename, TempSuffix))
	err := Store(mem, path, offsetsVersion(t, 2))
	require.ErrorIs(t, err, env.ErrInjected)
	mem.SetRule(nil)
	assert.Equal(t, v1, readAll(t, mem, path))
}

// crashMode is one way a Store can be cut short.
type crashMode struct {
	name  string
	crash func(mem *env.MemFS, seed uint64)
}

var crashModes = []crashMode{
	{"process", func(mem *env.MemFS, _ uint64) { mem.CrashProcess() }},
	{"machine", func(mem *env.MemFS, seed uint64) {
		mem.CrashMachine(seed, env.CrashOptions{})
	}},
	{"machine, torn pages", func(mem *env.MemFS, seed uint64) {
		mem.CrashMachine(seed, env.CrashOptions{TornPage: true})
	}},
	{"machine after the directory was flushed", func(mem *env.MemFS, seed uint64) {
		// The kernel may write directory changes back on its own: every
		// rename so far survives, file pages still only partly.
		if err := mem.SyncDir(testRoot + "/config"); err != nil {
			panic(err)
		}
		mem.CrashMachine(seed, env.CrashOptions{TornPage: true})
	}},
}

// errDead fails every operation of a process that has crashed.
var errDead = errors.New("process is dead")

// TestStoreCrashAtEveryStep cuts a Store short before each of its
// operations, in every crash mode and with several seeds: afterwards Load
// returns the old or the new version, never an error, and a new Store
// works.
func TestStoreCrashAtEveryStep(t *testing.T) {
	v1, v2, v3 := offsetsVersion(t, 1), offsetsVersion(t, 2), offsetsVersion(t, 3)
	path := FilePath(testRoot, ConsumerOffsetFile)
	for _, mode := range crashModes {
		t.Run(mode.name, func(t *testing.T) {
			sources := map[Source]int{}
			for seed := uint64(0); seed < 8; seed++ {
				for crashAt := 0; ; crashAt++ {
					mem := newMemFS(t)
					require.NoError(t, Store(mem, path, offsetsVersion(t, 0)))
					require.NoError(t, Store(mem, path, v1))

					ops, crashed, inCrash := 0, false, false
					mem.SetRule(func(op env.Op) error {
						switch {
						case inCrash:
							return nil
						case crashed:
							return errDead
						case ops == crashAt:
							crashed, inCrash = true, true
							mode.crash(mem, seed)
							inCrash = false
							return errDead
						}
						ops++
						return nil
					})
					err := Store(mem, path, v2)
					mem.SetRule(nil)
					if !crashed {
						require.NoError(t, err)
						break
					}
					require.ErrorIs(t, err, errDead)

					data, src, err := Load(mem, path, parseOffsets)
					require.NoError(t, err, "crash before step %d, seed %d", crashAt, seed)
					require.Contains(t, [][]byte{v1, v2}, data, "crash before step %d, seed %d", crashAt, seed)
					sources[src]++

					require.NoError(t, Store(mem, path, v3))
					data, src, err = Load(mem, path, parseOffsets)
					require.NoError(t, err)
					assert.Equal(t, SourcePrimary, src)
					assert.Equal(t, v3, data)
				}
			}
			assert.Positive(t, sources[SourcePrimary])
			if mode.name == "process" || mode.name == "machine after the directory was flushed" {
				// A crash between the two renames leaves only the backup.
				assert.Positive(t, sources[SourceBackup])
			}
		})
	}
}

// TestCorruptPrimaryNeverCostsTheBackup: after Load fell back to the backup
// because the primary was corrupt, a Store cut short at any step, by a
// process or a machine crash, still leaves a good version.
func TestCorruptPrimaryNeverCostsTheBackup(t *testing.T) {
	v1, v2 := offsetsVersion(t, 1), offsetsVersion(t, 2)
	path := FilePath(testRoot, ConsumerOffsetFile)
	for _, mode := range crashModes {
		t.Run(mode.name, func(t *testing.T) {
			for crashAt := 0; ; crashAt++ {
				mem := newMemFS(t)
				writeRaw(t, mem, path+BackupSuffix, v1)
				writeRaw(t, mem, path, []byte("{\"offsetTable\":{\"t@g\":{0:"))
				require.NoError(t, mem.SyncDir(testRoot+"/config"))
				data, src, err := Load(mem, path, parseOffsets)
				require.NoError(t, err)
				require.Equal(t, SourceBackup, src)
				require.Equal(t, v1, data)

				ops, crashed := 0, false
				mem.SetRule(func(op env.Op) error {
					if crashed {
						return errDead
					}
					if ops == crashAt {
						crashed = true
						return errDead
					}
					ops++
					return nil
				})
				err = Store(mem, path, v2)
				mem.SetRule(nil)
				if !crashed {
					require.NoError(t, err)
					break
				}
				mode.crash(mem, uint64(crashAt))
				data, _, err = Load(mem, path, parseOffsets)
				require.NoError(t, err, "crash before step %d", crashAt)
				require.Contains(t, [][]byte{v1, v2}, data, "crash before step %d", crashAt)
			}
		})
	}
}

func TestTypedLoadAndSave(t *testing.T) {
	mem := newMemFS(t)
	root := testRoot

	topics, src, err := LoadTopics(mem, FilePath(root, TopicsFile))
	require.NoError(t, err)
	assert.Equal(t, SourceNone, src)
	assert.Equal(t, NewTopicConfigTable(), topics)
	topics.Topics["A"] = NewTopicConfig("A")
	topics.DataVersion.Counter++
	require.NoError(t, SaveTopics(mem, FilePath(root, TopicsFile), topics))
	gotTopics, src, err := LoadTopics(mem, FilePath(root, TopicsFile))
	require.NoError(t, err)
	assert.Equal(t, SourcePrimary, src)
	assert.Equal(t, topics, gotTopics)

	offsets, src, err := LoadConsumerOffsets(mem, FilePath(root, ConsumerOffsetFile))
	require.NoError(t, err)
	assert.Equal(t, SourceNone, src)
	assert.Equal(t, NewConsumerOffsetTable(), offsets)
	offsets.QueueOffsets[TopicGroupKey("A", "g")] = map[int32]int64{0: 5}
	require.NoError(t, SaveConsumerOffsets(mem, FilePath(root, ConsumerOffsetFile), offsets))
	gotOffsets, _, err := LoadConsumerOffsets(mem, FilePath(root, ConsumerOffsetFile))
	require.NoError(t, err)
	assert.Equal(t, offsets, gotOffsets)

	groups, src, err := LoadSubscriptionGroups(mem, FilePath(root, SubscriptionGroupFile))
	require.NoError(t, err)
	assert.Equal(t, SourceNone, src)
	assert.Equal(t, NewSubscriptionGroupTable(), groups)
	groups.Groups["g"] = NewSubscriptionGroupConfig("g")
	require.NoError(t, SaveSubscriptionGroups(mem, FilePath(root, SubscriptionGroupFile), groups))
	gotGroups, _, err := LoadSubscriptionGroups(mem, FilePath(root, SubscriptionGroupFile))
	require.NoError(t, err)
	assert.Equal(t, groups, gotGroups)

	delays, src, err := LoadDelayOffsets(mem, FilePath(root, DelayOffsetFile))
	require.NoError(t, err)
	assert.Equal(t, SourceNone, src)
	assert.Equal(t, NewDelayOffsetTable(), delays)
	delays.QueueOffsets[3] = 12
	require.NoError(t, SaveDelayOffsets(mem, FilePath(root, DelayOffsetFile), delays))
	gotDelays, _, err := LoadDelayOffsets(mem, FilePath(root, DelayOffsetFile))
	require.NoError(t, err)
	assert.Equal(t, delays, gotDelays)

	names, err := mem.List(root + "/config")
	require.NoError(t, err)
	assert.Equal(t, []string{"consumerOffset.json", "delayOffset.json", "subscriptionGroup.json", "topics.json"}, names)
}

func TestSaveReportsUnwritableDocument(t *testing.T) {
	mem := newMemFS(t)
	path := FilePath(testRoot, TopicsFile)
	tb := NewTopicConfigTable()
	tb.Topics["A"] = TopicConfig{TopicName: "A"}
	err := SaveTopics(mem, path, tb)
	require.ErrorIs(t, err, ErrSchema)
	assert.Contains(t, err.Error(), path)
	assert.Nil(t, readAll(t, mem, path))
}

func TestSourceString(t *testing.T) {
	assert.Equal(t, "none", SourceNone.String())
	assert.Equal(t, "primary", SourcePrimary.String())
	assert.Equal(t, "backup", SourceBackup.String())
	assert.Equal(t, "Source(7)", Source(7).String())
}

func TestStoreAndLoadOnTheRealFileSystem(t *testing.T) {
	realFS := env.Real().FS
	root := t.TempDir()
	path := FilePath(root, SubscriptionGroupFile)
	tb, err := ParseSubscriptionGroups([]byte(subscriptionGroup5x))
	require.NoError(t, err)

	require.NoError(t, SaveSubscriptionGroups(realFS, path, NewSubscriptionGroupTable()))
	require.NoError(t, SaveSubscriptionGroups(realFS, path, tb))
	got, src, err := LoadSubscriptionGroups(realFS, path)
	require.NoError(t, err)
	assert.Equal(t, SourcePrimary, src)
	assert.Equal(t, tb, got)

	bak, src, err := LoadSubscriptionGroups(realFS, path+BackupSuffix)
	require.NoError(t, err)
	assert.Equal(t, SourcePrimary, src)
	assert.Equal(t, NewSubscriptionGroupTable(), bak)

	names, err := realFS.List(FilePath(root, ""))
	require.NoError(t, err)
	assert.Equal(t, []string{"subscriptionGroup.json", "subscriptionGroup.json.bak"}, names)
}
