package env

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// faultFixture is a MemFS holding /d/f (content "base", synced, with a
// mapping) and /d/old, plus handles to act on.
type faultFixture struct {
	m       *MemFS
	f       File
	mapping Mapping
}

func newFaultFixture(t *testing.T) faultFixture {
	t.Helper()
	m, _ := newTestMemFS(t)
	require.NoError(t, m.MkdirAll("/d"))
	mustCreate(t, m, "/d/old", "old")
	f, err := m.Create("/d/f")
	require.NoError(t, err)
	_, err = f.WriteAt([]byte("base"), 0)
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	require.NoError(t, m.SyncDir("/d"))
	return faultFixture{m: m, f: f}
}

func TestMemFSFaultRulesFailWithoutEffect(t *testing.T) {
	tests := []struct {
		kind   OpKind
		act    func(t *testing.T, fx faultFixture) error
		intact func(t *testing.T, fx faultFixture) // the failed op changed nothing
	}{
		{OpCreate, func(t *testing.T, fx faultFixture) error { _, err := fx.m.Create("/d/new"); return err },
			func(t *testing.T, fx faultFixture) {
				_, err := fx.m.Stat("/d/new")
				assert.Error(t, err)
			}},
		{OpOpen, func(t *testing.T, fx faultFixture) error { _, err := fx.m.OpenRW("/d/f"); return err }, nil},
		{OpRead, func(t *testing.T, fx faultFixture) error { _, err := fx.f.ReadAt(make([]byte, 2), 0); return err }, nil},
		{OpWrite, func(t *testing.T, fx faultFixture) error { _, err := fx.f.WriteAt([]byte("XXXXXX"), 0); return err },
			func(t *testing.T, fx faultFixture) { assert.Equal(t, "base", readAll(t, fx.m, "/d/f")) }},
		{OpTruncate, func(t *testing.T, fx faultFixture) error { return fx.f.Truncate(1) },
			func(t *testing.T, fx faultFixture) { assert.Equal(t, "base", readAll(t, fx.m, "/d/f")) }},
		{OpSync, func(t *testing.T, fx faultFixture) error {
			if _, err := fx.f.WriteAt([]byte("B"), 0); err != nil {
				return err
			}
			return fx.f.Sync()
		}, func(t *testing.T, fx faultFixture) {
			_, durable := snapshot(t, fx.m, "/d/f")
			assert.Equal(t, "base", string(durable))
		}},
		{OpMap, func(t *testing.T, fx faultFixture) error { _, err := fx.f.Map(4); return err },
			func(t *testing.T, fx faultFixture) { require.NoError(t, fx.f.Truncate(2), "no mapping was made") }},
		{OpMappingFlush, func(t *testing.T, fx faultFixture) error {
			mp, err := fx.f.Map(4)
			if err != nil {
				return err
			}
			mp.Bytes()[0] = 'B'
			return mp.Flush(0, 4)
		}, func(t *testing.T, fx faultFixture) {
			_, durable := snapshot(t, fx.m, "/d/f")
			assert.Equal(t, "base", string(durable))
		}},
		{OpSyncDir, func(t *testing.T, fx faultFixture) error {
			mustCreate(t, fx.m, "/d/new", "")
			return fx.m.SyncDir("/d")
		}, func(t *testing.T, fx faultFixture) {
			fx.m.CrashMachine(0, CrashOptions{})
			_, err := fx.m.Stat("/d/new")
			assert.Error(t, err, "the entry did not become durable")
		}},
		{OpRename, func(t *testing.T, fx faultFixture) error { return fx.m.Rename("/d/old", "/d/f") },
			func(t *testing.T, fx faultFixture) { assert.Equal(t, "old", readAll(t, fx.m, "/d/old")) }},
		{OpRemove, func(t *testing.T, fx faultFixture) error { return fx.m.Remove("/d/old") },
			func(t *testing.T, fx faultFixture) { assert.Equal(t, "old", readAll(t, fx.m, "/d/old")) }},
		{OpRemove, func(t *testing.T, fx faultFixture) error { return fx.m.RemoveAll("/d") },
			func(t *testing.T, fx faultFixture) { assert.Equal(t, "old", readAll(t, fx.m, "/d/old")) }},
		{OpMkdirAll, func(t *testing.T, fx faultFixture) error { return fx.m.MkdirAll("/d/e") },
			func(t *testing.T, fx faultFixture) {
				_, err := fx.m.Stat("/d/e")
				assert.Error(t, err)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			fx := newFaultFixture(t)
			var seen []Op
			fx.m.SetRule(func(op Op) error {
				if op.Kind == tt.kind {
					seen = append(seen, op)
					return ErrInjected
				}
				return nil
			})
			err := tt.act(t, fx)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInjected)
			assert.Contains(t, err.Error(), tt.kind.String())
			require.NotEmpty(t, seen)
			assert.Contains(t, seen[0].Path, "/d")
			fx.m.SetRule(nil)
			if tt.intact != nil {
				tt.intact(t, fx)
			}
		})
	}
}

func TestMemFSFaultOpFields(t *testing.T) {
	fx := newFaultFixture(t)
	var seen []Op
	fx.m.SetRule(func(op Op) error { seen = append(seen, op); return nil })
	_, err := fx.f.WriteAt([]byte("abc"), 7)
	require.NoError(t, err)
	require.NoError(t, fx.f.Truncate(20))
	require.NoError(t, fx.m.Rename("/d/old", "/d/older"))
	mp, err := fx.f.Map(16)
	require.NoError(t, err)
	require.NoError(t, mp.Flush(4, 8))
	assert.Equal(t, []Op{
		{Kind: OpWrite, Path: "/d/f", Offset: 7, Len: 3},
		{Kind: OpTruncate, Path: "/d/f", Offset: 20},
		{Kind: OpRename, Path: "/d/old", NewPath: "/d/older"},
		{Kind: OpMap, Path: "/d/f", Len: 16},
		{Kind: OpMappingFlush, Path: "/d/f", Offset: 4, Len: 8},
	}, seen)
}

func TestMemFSRuleErrorKeepsItsIdentity(t *testing.T) {
	fx := newFaultFixture(t)
	fx.m.SetRule(func(op Op) error {
		if op.Kind == OpWrite {
			return ErrNoSpace
		}
		return nil
	})
	_, err := fx.f.WriteAt([]byte("x"), 0)
	assert.ErrorIs(t, err, ErrNoSpace, "a rule can fake a full disk")
	assert.ErrorIs(t, err, ErrInjected)
	assert.Contains(t, err.Error(), "/d/f")
}

func TestFailOnce(t *testing.T) {
	fx := newFaultFixture(t)
	fx.m.SetRule(FailOnce(OpSync, "/d/f"))
	other, err := fx.m.Create("/d/other")
	require.NoError(t, err)
	require.NoError(t, other.Sync(), "another path is not matched")
	assert.ErrorIs(t, fx.f.Sync(), ErrInjected)
	require.NoError(t, fx.f.Sync(), "only once")

	fx.m.SetRule(FailOnce(OpAny, "older"))
	require.NoError(t, fx.m.SyncDir("/d"))
	assert.ErrorIs(t, fx.m.Rename("/d/old", "/d/older"), ErrInjected, "NewPath matches too")
	require.NoError(t, fx.m.Rename("/d/old", "/d/older"))
}

func TestFailAfter(t *testing.T) {
	fx := newFaultFixture(t)
	fx.m.SetRule(FailAfter(2, OpWrite, ""))
	for i := range 2 {
		_, err := fx.f.WriteAt([]byte("ok"), int64(i))
		require.NoError(t, err)
	}
	for i := range 3 {
		_, err := fx.f.WriteAt([]byte("no"), int64(i))
		assert.ErrorIs(t, err, ErrInjected, "write %d after the limit", i)
	}
	require.NoError(t, fx.f.Sync(), "other kinds pass")
}

func TestOpKindString(t *testing.T) {
	assert.Equal(t, "flush", OpMappingFlush.String())
	assert.Equal(t, "any", OpAny.String())
	assert.Equal(t, "OpKind(99)", OpKind(99).String())
	assert.Equal(t, "OpKind(-1)", OpKind(-1).String())
}

func TestMemFSInjectedErrorWrapsOnce(t *testing.T) {
	custom := errors.New("disk on fire")
	fx := newFaultFixture(t)
	fx.m.SetRule(func(Op) error { return custom })
	err := fx.m.SyncDir("/d")
	assert.ErrorIs(t, err, custom)
	assert.ErrorIs(t, err, ErrInjected)
	assert.Equal(t, "env: syncdir /d: env: injected fault: disk on fire", err.Error())
}
