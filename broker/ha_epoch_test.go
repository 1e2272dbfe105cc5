package broker

import (
	"math"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
)

// rocketMQExampleEpochFile is the example of RocketMQ's CheckpointFile
// javadoc: its CRC is that of the two entry lines.
const rocketMQExampleEpochFile = "2\n773307083\n7-7000\n8-8000\n"

func TestEpochFileCodec(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		entries []epochEntry
	}{
		{"RocketMQ's example", rocketMQExampleEpochFile, []epochEntry{{7, 7000}, {8, 8000}}},
		{"one epoch from the start", "1\n" + strconv.FormatInt(epochCRC([]byte("1-0\n")), 10) + "\n1-0\n", []epochEntry{{1, 0}}},
		{"no entries", "0\n0\n", []epochEntry{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.text, string(appendEpochFile(nil, tt.entries)))
			got, err := decodeEpochFile([]byte(tt.text))
			require.NoError(t, err)
			assert.Equal(t, tt.entries, got)
		})
	}
}

func TestEpochFileDecodeAccepts(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []epochEntry
	}{
		{"empty file", "", nil},
		{"Windows line ends", "2\r\n773307083\r\n7-7000\r\n8-8000\r\n", []epochEntry{{7, 7000}, {8, 8000}}},
		{"no final newline", "2\n773307083\n7-7000\n8-8000", []epochEntry{{7, 7000}, {8, 8000}}},
		{"CRC 0 is not checked", "2\n0\n7-7000\n8-8000\n", []epochEntry{{7, 7000}, {8, 8000}}},
		{"equal starts", "2\n0\n1-0\n2-0\n", []epochEntry{{1, 0}, {2, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeEpochFile([]byte(tt.text))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestEpochFileDecodeRefuses(t *testing.T) {
	for name, text := range map[string]string{
		"count not a number":    "x\n0\n",
		"negative count":        "-1\n0\n",
		"count above the limit": "65537\n0\n",
		"no CRC line":           "1",
		"CRC not a number":      "1\nabc\n1-0\n",
		"fewer entries":         "2\n0\n1-0\n",
		"more entries":          "1\n0\n1-0\n2-5\n",
		"wrong CRC":             "2\n773307084\n7-7000\n8-8000\n",
		"no dash":               "1\n0\n17000\n",
		"leading dash":          "1\n0\n-1-0\n",
		"epoch too big":         "1\n0\n2147483648-0\n",
		"bad offset":            "1\n0\n1-x\n",
		"epoch 0":               "1\n0\n0-0\n",
		"negative offset":       "1\n0\n1--5\n",
		"epochs not increasing": "2\n0\n3-0\n3-10\n",
		"offsets decreasing":    "2\n0\n1-10\n2-5\n",
		"blank line inside":     "2\n0\n1-0\n\n2-5\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := decodeEpochFile([]byte(text))
			require.ErrorIs(t, err, ErrBadEpochs)
		})
	}
}

func TestConsistentPoint(t *testing.T) {
	e := func(pairs ...int64) []epochEntry {
		var out []epochEntry
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, epochEntry{epoch: int32(pairs[i]), startOffset: pairs[i+1]})
		}
		return out
	}
	tests := []struct {
		name     string
		local    []epochEntry
		localEnd int64
		remote   []epochEntry
		want     int64
		ok       bool
	}{
		{"same epoch, slave behind", e(1, 0), 500, e(1, 0), 500, true},
		{"same epoch, remote still growing", e(1, 0), 900, e(1, 0), 900, true},
		{"old master past the promotion", e(1, 0), 1200, e(1, 0, 2, 700), 700, true},
		{"old master behind the promotion", e(1, 0), 600, e(1, 0, 2, 700), 600, true},
		{"slave copied the newer list", e(1, 0, 2, 700), 900, e(1, 0, 2, 700), 900, true},
		{"master restarted below the slave's end", e(1, 0), 1000, e(1, 0, 2, 800), 800, true},
		{"two promotions, the slave missed one", e(1, 0, 2, 700), 1500, e(1, 0, 2, 700, 3, 1100), 1100, true},
		{"same number, other start", e(1, 0, 2, 750), 1500, e(1, 0, 2, 700), 700, true},
		{"copied entry past the slave's data", e(1, 0, 2, 700), 650, e(1, 0, 3, 680), 650, true},
		{"no common epoch", e(4, 0), 100, e(1, 0, 2, 50), 0, false},
		{"remote empty", e(1, 0), 100, nil, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := consistentPoint(tt.local, tt.localEnd, tt.remote)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestNextEpoch(t *testing.T) {
	got, err := nextEpoch(nil, 0)
	require.NoError(t, err)
	assert.Equal(t, []epochEntry{{1, 0}}, got)

	got, err = nextEpoch([]epochEntry{{1, 0}, {2, 700}, {3, 900}}, 800)
	require.NoError(t, err)
	assert.Equal(t, []epochEntry{{1, 0}, {2, 700}, {4, 800}}, got, "epoch 3 began past the cut: dropped, and never reused")

	_, err = nextEpoch([]epochEntry{{math.MaxInt32, 0}}, 10)
	require.Error(t, err)

	full := make([]epochEntry, MaxEpochEntries)
	for i := range full {
		full[i] = epochEntry{epoch: int32(i + 1), startOffset: int64(i)}
	}
	got, err = nextEpoch(full, MaxEpochEntries)
	require.NoError(t, err)
	require.Len(t, got, MaxEpochEntries)
	assert.Equal(t, epochEntry{2, 1}, got[0], "the oldest entry goes")
	assert.Equal(t, epochEntry{MaxEpochEntries + 1, MaxEpochEntries}, got[len(got)-1])
}

func TestTruncateEpochs(t *testing.T) {
	entries := []epochEntry{{1, 0}, {2, 700}, {3, 900}}
	assert.Equal(t, []epochEntry{{1, 0}}, truncateEpochs(entries, 700))
	assert.Equal(t, []epochEntry{{1, 0}, {2, 700}}, truncateEpochs(entries, 800))
	assert.Equal(t, entries, truncateEpochs(entries, 900+1))
	assert.Equal(t, []epochEntry{{1, 0}}, truncateEpochs(entries, 0), "the first entry stays")
}

func TestEpochFileSaveLoad(t *testing.T) {
	fs := env.NewMemFS(env.NewManualClock(haTestEpoch))
	f := newEpochFile(fs, "/store")
	got, err := f.load()
	require.NoError(t, err)
	assert.Empty(t, got, "no file: no entries")
	want := []epochEntry{{1, 0}, {2, 4096}}
	require.NoError(t, f.save(want))
	got, err = f.load()
	require.NoError(t, err)
	assert.Equal(t, want, got)

	// A torn primary falls back to the backup the next save leaves.
	require.NoError(t, f.save(append(want, epochEntry{3, 8192})))
	file, err := fs.Create("/store/" + EpochFileName)
	require.NoError(t, err)
	_, err = file.WriteAt([]byte("3\n1\n1-0"), 0)
	require.NoError(t, err)
	require.NoError(t, file.Close())
	got, err = f.load()
	require.NoError(t, err)
	assert.Equal(t, want, got, "the .bak copy")
}

func TestEpochCacheBody(t *testing.T) {
	c := &epochCache{clusterName: "DefaultCluster", brokerName: "broker-a", brokerID: 0,
		entries: []epochEntry{{1, 0}, {2, 2048}}, maxOffset: 4096}
	body := appendEpochCacheJSON(nil, c)
	assert.Equal(t, `{"brokerId":0,"brokerName":"broker-a","clusterName":"DefaultCluster","epochList":[`+
		`{"endOffset":2048,"epoch":1,"startOffset":0},{"endOffset":4096,"epoch":2,"startOffset":2048}],"maxOffset":4096}`, string(body))
	got, err := decodeEpochCache(body)
	require.NoError(t, err)
	assert.Equal(t, c, got)

	for name, bad := range map[string]string{
		"not JSON":            `{`,
		"epoch 0":             `{"epochList":[{"epoch":0,"startOffset":0}]}`,
		"missing epoch":       `{"epochList":[{"startOffset":0}]}`,
		"negative offset":     `{"epochList":[{"epoch":1,"startOffset":-3}]}`,
		"epoch too big":       `{"epochList":[{"epoch":2147483648,"startOffset":0}]}`,
		"out of order":        `{"epochList":[{"epoch":2,"startOffset":0},{"epoch":1,"startOffset":5}]}`,
		"fractional offset":   `{"epochList":[{"epoch":1,"startOffset":1.5}]}`,
		"negative maxOffset":  `{"epochList":[],"maxOffset":-1}`,
		"string for a number": `{"brokerId":"zero"}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := decodeEpochCache([]byte(bad))
			require.ErrorIs(t, err, ErrBadEpochs)
		})
	}
}
