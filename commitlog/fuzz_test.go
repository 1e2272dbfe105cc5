package commitlog

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// encoderMagic returns the magic Encode chooses for a topic.
func encoderMagic(topic []byte) uint32 {
	if len(topic) > MaxV1TopicBytes {
		return MagicV2
	}
	return MagicV1
}

func FuzzDecodeRecord(f *testing.F) {
	for _, g := range goldenVectors() {
		f.Add(g.raw)
	}
	f.Add(v2ShortTopicRecord())
	f.Add(hx("00 00 00 40 CB D4 31 94"))
	f.Add(make([]byte, 100))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, checkCRC := range []bool{false, true} {
			r, err := Decode(b, checkCRC)
			if errors.Is(err, ErrBlank) {
				require.Equal(t, MagicBlank, r.Magic)
				require.GreaterOrEqual(t, r.TotalSize, int32(BlankRecordSizeBytes))
				require.Len(t, r.Raw, int(r.TotalSize))
				size, ok := BlankSize(b)
				require.True(t, ok)
				require.Equal(t, r.TotalSize, size)
				continue
			}
			if err != nil {
				require.True(t, errors.Is(err, ErrShort) || errors.Is(err, ErrCorrupt), "unexpected error %v", err)
				require.Equal(t, Record{}, r)
				continue
			}
			require.Len(t, r.Raw, int(r.TotalSize))
			require.Equal(t, b[:r.TotalSize], r.Raw)
			m := r.Message()
			size, err := EncodedSize(&m)
			if err != nil {
				// Readable but outside what a broker stores: empty or long topics.
				require.True(t, errors.Is(err, ErrTopicEmpty) || errors.Is(err, ErrTopicTooLong), "unexpected error %v", err)
				continue
			}
			dst := make([]byte, size)
			Encode(dst, &m, r.BodyCRC, r.QueueOffset, r.PhysOffset, r.StoreTimestampMs)
			if r.Magic == encoderMagic(r.Topic) {
				require.Equal(t, r.Raw, dst)
				continue
			}
			// A v2 record with a short topic re-encodes as v1: same fields.
			again, err := Decode(dst, checkCRC)
			require.NoError(t, err)
			require.Equal(t, MagicV1, again.Magic)
			require.Equal(t, r.TotalSize-1, again.TotalSize)
			again.Magic, again.TotalSize, again.Raw = r.Magic, r.TotalSize, r.Raw
			require.Equal(t, r, again)
		}
	})
}

// referenceParse is RocketMQ's property parser written over strings.
func referenceParse(props string) map[string]string {
	m := map[string]string{}
	for index := 0; index < len(props); {
		newIndex := strings.IndexByte(props[index:], PropertySeparator)
		if newIndex < 0 {
			newIndex = len(props)
		} else {
			newIndex += index
		}
		if newIndex-index >= 3 {
			kv := strings.IndexByte(props[index:], NameValueSeparator)
			if kv >= 0 {
				kv += index
			}
			if kv > index && kv < newIndex-1 {
				m[props[index:kv]] = props[kv+1 : newIndex]
			}
		}
		index = newIndex + 1
	}
	return m
}

func FuzzProperties(f *testing.F) {
	f.Add([]byte("TAGS\x01TagA\x02KEYS\x01k1 k2\x02"))
	f.Add([]byte("a\x01b\x01c\x02\x02\x01x\x02a\x012"))
	f.Add([]byte("__RMQ.TRANSIENT.X\x01y\x02UNIQ_KEY\x01AB\x02"))
	f.Fuzz(func(t *testing.T, props []byte) {
		got := ParseProperties(props)
		require.Equal(t, referenceParse(string(props)), got)
		for name, value := range got {
			v, ok := PropertyValue(props, name)
			require.True(t, ok)
			require.Equal(t, value, string(v))
		}
		for name := range got {
			if strings.HasPrefix(name, TransientPropertyPrefix) {
				delete(got, name)
			}
		}
		require.Equal(t, got, ParseProperties(EncodeProperties(got)))
	})
}

func FuzzParseOffsetMsgID(f *testing.F) {
	f.Add("0A00000100002A9F0000000000001000")
	f.Add("20010DB800000000000000000000000100002A9F0000000000000001")
	f.Add("0a000001000100000000000000001000")
	f.Fuzz(func(t *testing.T, s string) {
		host, physOffset, err := ParseOffsetMsgID(s)
		if err != nil {
			require.ErrorIs(t, err, ErrBadOffsetMsgID)
			return
		}
		require.GreaterOrEqual(t, physOffset, int64(0))
		require.Equal(t, strings.ToUpper(s), FormatOffsetMsgID(host, physOffset))
	})
}
