package broker

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzEpochFile feeds any bytes to the epoch file decoder: it never
// panics, fails only with ErrBadEpochs, and what it accepts is in order and
// encodes to a file that decodes to the same entries.
func FuzzEpochFile(f *testing.F) {
	f.Add([]byte(rocketMQExampleEpochFile))
	f.Add([]byte("0\n0\n"))
	f.Add([]byte("2\r\n0\r\n1-0\r\n2-4096"))
	f.Add([]byte("1\n0\n2147483647-9223372036854775807\n"))
	f.Add([]byte("65536\n0\n"))
	f.Add([]byte("3\n0\n1-0\n1-0\n-\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := decodeEpochFile(data)
		if err != nil {
			require.ErrorIs(t, err, ErrBadEpochs)
			return
		}
		require.NoError(t, checkEpochOrder(entries))
		again, err := decodeEpochFile(appendEpochFile(nil, entries))
		require.NoError(t, err)
		require.Equal(t, len(entries), len(again))
		for i := range entries {
			require.Equal(t, entries[i], again[i])
		}
	})
}

// FuzzEpochCacheBody feeds any bytes to the GET_BROKER_EPOCH_CACHE body
// decoder: it never panics, fails only with ErrBadEpochs, and what it
// accepts encodes to a body that decodes to the same cache.
func FuzzEpochCacheBody(f *testing.F) {
	f.Add([]byte(`{"brokerId":0,"brokerName":"broker-a","clusterName":"DefaultCluster","epochList":[` +
		`{"endOffset":2048,"epoch":1,"startOffset":0},{"endOffset":4096,"epoch":2,"startOffset":2048}],"maxOffset":4096}`))
	f.Add([]byte(`{"epochList":[]}`))
	f.Add([]byte(`{"epochList":[{"epoch":1e3,"startOffset":0}]}`))
	f.Add([]byte(`{"brokerName":"\u0000\ud800","epochList":null,"maxOffset":9223372036854775807}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := decodeEpochCache(data)
		if err != nil {
			require.ErrorIs(t, err, ErrBadEpochs)
			return
		}
		again, err := decodeEpochCache(appendEpochCacheJSON(nil, c))
		require.NoError(t, err)
		require.Equal(t, c.entries, again.entries)
		require.Equal(t, c.maxOffset, again.maxOffset)
		require.Equal(t, c.brokerID, again.brokerID)
	})
}
