package broker

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
)

func TestAppendWithClusterSetsTheClusterLast(t *testing.T) {
	const c = "DefaultCluster"
	pair := "CLUSTER\x01" + c + "\x02"
	cases := []struct {
		name, in, want string
	}{
		{"no properties", "", pair},
		{"pairs are kept in order", "TAGS\x01A\x02KEYS\x01k1 k2\x02", "TAGS\x01A\x02KEYS\x01k1 k2\x02" + pair},
		{"a missing last separator is added", "TAGS\x01A", "TAGS\x01A\x02" + pair},
		{"the producer's CLUSTER is replaced", "a\x011\x02CLUSTER\x01other\x02b\x012\x02", "a\x011\x02b\x012\x02" + pair},
		{"every CLUSTER pair goes", "CLUSTER\x01x\x02CLUSTER\x01y", pair},
		{"an empty CLUSTER pair goes", "CLUSTER\x01\x02a\x011\x02", "a\x011\x02" + pair},
		{"longer names starting with CLUSTER stay", "CLUSTERS\x01v\x02CLUSTER_X\x01w\x02", "CLUSTERS\x01v\x02CLUSTER_X\x01w\x02" + pair},
		{"segments the parser ignores stay", "junk\x02\x02a\x011\x02", "junk\x02\x02a\x011\x02" + pair},
		{"the value may hold the name separator", "CLUSTER\x01a\x01b\x02k\x01v\x02", "k\x01v\x02" + pair},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fromString := appendWithCluster(nil, tc.in, c)
			require.Equal(t, tc.want, string(fromString))
			require.Equal(t, tc.want, string(appendWithCluster(nil, []byte(tc.in), c)))
			require.LessOrEqual(t, len(fromString), withClusterSize(len(tc.in), c))
		})
	}
	// Appending keeps what dst held.
	require.Equal(t, "head"+pair, string(appendWithCluster([]byte("head"), "", c)))
}

func FuzzAppendWithCluster(f *testing.F) {
	f.Add([]byte("TAGS\x01A\x02KEYS\x01k\x02"))
	f.Add([]byte("CLUSTER\x01old\x02UNIQ_KEY\x01AB12"))
	f.Add([]byte("\x02\x01\x02CLUSTER\x01\x01\x02"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, props []byte) {
		const c = "C-1"
		out := appendWithCluster(nil, props, c)
		require.LessOrEqual(t, len(out), withClusterSize(len(props), c))
		require.Equal(t, out, appendWithCluster(nil, string(props), c))
		want := commitlog.ParseProperties(props)
		want[propertyCluster] = c
		require.Equal(t, want, commitlog.ParseProperties(out), "the same pairs, with the cluster set")
		v, ok := commitlog.PropertyValue(out, propertyCluster)
		require.True(t, ok)
		require.Equal(t, c, string(v))
	})
}
