package remoting

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"
)

// goldenBatch is two entries written out by hand from the layout:
// flag 7, body "hi", properties "a\x01b\x02"; flag 0, empty body and
// properties.
var goldenBatch = []byte{
	0, 0, 0, 28, // totalSize = 22 + 2 + 4
	0, 0, 0, 0, // magic
	0, 0, 0, 0, // bodyCRC
	0, 0, 0, 7, // flag
	0, 0, 0, 2, 'h', 'i', // bodyLen, body
	0, 4, 'a', 1, 'b', 2, // propsLen, properties
	0, 0, 0, 22,
	0, 0, 0, 0,
	0, 0, 0, 0,
	0, 0, 0, 0,
	0, 0, 0, 0,
	0, 0,
}

func TestDecodeBatchGolden(t *testing.T) {
	got, err := DecodeBatch(goldenBatch)
	require.NoError(t, err)
	require.Equal(t, []BatchEntry{
		{Flag: 7, Body: []byte("hi"), Properties: []byte("a\x01b\x02")},
		{Flag: 0, Body: []byte{}, Properties: []byte{}},
	}, got)
	enc := AppendBatchEntry(nil, 7, []byte("hi"), []byte("a\x01b\x02"))
	enc = AppendBatchEntry(enc, 0, nil, nil)
	require.Equal(t, goldenBatch, enc)
}

func TestDecodeBatchRefusesGarbage(t *testing.T) {
	withTotal := func(n uint32) []byte {
		b := append([]byte(nil), goldenBatch[:28]...)
		binary.BigEndian.PutUint32(b, n)
		return b
	}
	withBodyLen := func(n uint32) []byte {
		b := append([]byte(nil), goldenBatch[:28]...)
		binary.BigEndian.PutUint32(b[16:], n)
		return b
	}
	cases := map[string][]byte{
		"empty":                    nil,
		"shorter than an entry":    goldenBatch[:21],
		"total below the minimum":  withTotal(21),
		"total beyond the bytes":   withTotal(29),
		"negative total":           withTotal(0xFFFFFFF0),
		"negative body length":     withBodyLen(0xFFFFFFFF),
		"body beyond the entry":    withBodyLen(7),
		"body shorter than stated": withBodyLen(1),
		"trailing garbage":         append(append([]byte(nil), goldenBatch...), 1, 2, 3),
		"all zeros":                make([]byte, 64),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeBatch(b)
			require.ErrorIs(t, err, ErrBadBatch)
		})
	}
}

func FuzzDecodeBatch(f *testing.F) {
	f.Add(goldenBatch)
	f.Add(goldenBatch[:28])
	f.Add([]byte{0, 0, 0, 22})
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, err := DecodeBatch(b)
		if err != nil {
			return
		}
		// What decodes re-encodes to the same bytes, except the ignored
		// magic and CRC fields.
		var enc []byte
		for _, e := range entries {
			enc = AppendBatchEntry(enc, e.Flag, e.Body, e.Properties)
		}
		require.Equal(t, len(b), len(enc))
		for off := 0; off < len(b); {
			total := int(binary.BigEndian.Uint32(b[off:]))
			require.Equal(t, b[off:off+4], enc[off:off+4])
			require.Equal(t, b[off+12:off+total], enc[off+12:off+total])
			off += total
		}
	})
}
