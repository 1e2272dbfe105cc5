package namesrv

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzDecodeRegisterBody checks that any body, in either encoding, either
// fails with ErrBadRegisterBody or decodes to a valid body (sorted unique
// names, bounded queue counts) that survives a JSON round trip.
func FuzzDecodeRegisterBody(f *testing.F) {
	f.Add([]byte(java4xBody), false)
	f.Add([]byte(java5xBody), false)
	f.Add([]byte(`{"topicConfigSerializeWrapper":{"topicConfigTable":{0:{}}}}`), false)
	f.Add(deflate(f, inflatedBody(`{"counter":1}`, []string{"T 4 4 6 SINGLE_TAG", "U 1 1 2 MULTI_TAG {}"}, "[]", nil)), true)
	f.Fuzz(func(t *testing.T, data []byte, compressed bool) {
		body, err := DecodeRegisterBody(data, compressed)
		if err != nil {
			require.True(t, errors.Is(err, ErrBadRegisterBody), "unexpected error kind: %v", err)
			return
		}
		require.True(t, slices.IsSortedFunc(body.Topics, func(a, b TopicConfig) int { return strings.Compare(a.TopicName, b.TopicName) }))
		for i, tc := range body.Topics {
			require.NoError(t, checkTopicConfig(&tc))
			if i > 0 {
				require.NotEqual(t, body.Topics[i-1].TopicName, tc.TopicName)
			}
		}
		again, err := DecodeRegisterBody(AppendRegisterBodyJSON(nil, body), false)
		require.NoError(t, err)
		if len(body.Topics) == 0 {
			again.Topics, body.Topics = nil, nil
		}
		require.Equal(t, body, again)
	})
}
