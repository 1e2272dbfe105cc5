package broker

import (
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/store"
	"github.com/apogeemq/apogee/store/configfile"
)

// FuzzDelayOffsetFile feeds any bytes to the broker as delayOffset.json:
// loading either fails with one of configfile's errors or gives every
// level an offset within its queue, keeps the keys that name no level, and
// what persist writes loads back to the same progress.
func FuzzDelayOffsetFile(f *testing.F) {
	f.Add([]byte("{\n\t\"offsetTable\":{1:3,2:0,18:1\n\t}\n}"))
	f.Add([]byte(`{"dataVersion":{"counter":2,"stateVersion":0,"timestamp":1},"offsetTable":{"1":-7,"2":99}}`))
	f.Add([]byte(`{"offsetTable":{0:1,-1:2,2147483647:3}}`))
	f.Add([]byte(`{"offsetTable":{1:9223372036854775807,2:-9223372036854775808}}`))
	f.Add([]byte(`{"offsetTable":{1:"x"}}`))
	f.Add([]byte(`{`))
	f.Add([]byte(``))

	r := newDelayRig(f, func(c *Config) { c.Store.DelayLevels = []time.Duration{time.Second, time.Minute} })
	for range 5 {
		r.put(message("T", 0, "m", commitlog.PropertyDelayLevel, "1"))
	}
	r.put(message("T", 0, "m", commitlog.PropertyDelayLevel, "2"))
	levels := r.cfg.Store.DelayLevels
	path := "/fuzz/" + configfile.DelayOffsetFile
	load := func() (*parkedTopic, error) {
		pt := newParkedTopic(r.b, "delay", store.ScheduleTopic, levels, levelPolicy{}, path, 1, nil)
		return pt, pt.loadOffsets()
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		for _, p := range []string{path, path + ".bak", path + ".tmp", path + ".corrupt"} {
			_ = r.fs.Remove(p)
		}
		if len(data) > 0 {
			require.NoError(t, configfile.Store(r.fs, path, data))
		}
		pt, err := load()
		if err != nil {
			known := errors.Is(err, configfile.ErrNoValidCopy) || errors.Is(err, configfile.ErrSyntax) ||
				errors.Is(err, configfile.ErrSchema) || errors.Is(err, configfile.ErrTooDeep) || errors.Is(err, configfile.ErrTooLarge)
			require.True(t, known, "unexpected error: %v", err)
			return
		}
		offsets := pt.offsets()
		for i, off := range offsets {
			q := int32(i)
			require.GreaterOrEqual(t, off, r.b.Store().MinOffsetInQueue(store.ScheduleTopic, q), "level %d", q+1)
			require.LessOrEqual(t, off, r.b.Store().MaxOffsetInQueue(store.ScheduleTopic, q), "level %d", q+1)
		}
		for key := range pt.extra {
			require.True(t, key < 1 || key > int32(len(levels)), "key %d names a level", key)
		}
		extra := maps.Clone(pt.extra)
		require.NoError(t, pt.persist())
		again, err := load()
		require.NoError(t, err)
		require.Equal(t, offsets, again.offsets())
		require.Equal(t, extra, again.extra)
	})
}
