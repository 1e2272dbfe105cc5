package namesrv

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBodyCRC32IsJavasMaskedCRC(t *testing.T) {
	// CRC-32/IEEE("123456789") = 0xCBF43926; Java's UtilAll.crc32 clears
	// the top bit.
	assert.Equal(t, int32(0x4BF43926), BodyCRC32([]byte("123456789")))
	assert.Equal(t, int32(0), BodyCRC32(nil))

	require.NoError(t, CheckBodyCRC([]byte("123456789"), 0x4BF43926))
	require.NoError(t, CheckBodyCRC([]byte("anything"), 0), "0 means no checksum was sent")
	err := CheckBodyCRC([]byte("123456789"), 0x4BF43927)
	require.ErrorIs(t, err, ErrBodyCRC)
	assert.Contains(t, err.Error(), "1274296615")
}

// javaTopics.json-like body of a 4.x broker, as fastjson writes it.
const java4xBody = `{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":12,"timestamp":1700000000123},` +
	`"topicConfigTable":{"TopicTest":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4},` +
	`"%RETRY%group":{"order":false,"perm":6,"readQueueNums":1,"topicFilterType":"SINGLE_TAG","topicName":"%RETRY%group","topicSysFlag":0,"writeQueueNums":1},` +
	`"UnitTopic":{"order":false,"perm":7,"readQueueNums":8,"topicFilterType":"MULTI_TAG","topicName":"UnitTopic","topicSysFlag":1,"writeQueueNums":2}}}}`

// A 5.x body: attributes, static-topic mappings with bare integer keys.
const java5xBody = `{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":3,"stateVersion":2,"timestamp":1700000000999},` +
	`"mappingDataVersion":{"counter":0,"stateVersion":0,"timestamp":1700000000000},` +
	`"topicConfigTable":{"T5":{"attributes":{"+message.type":"NORMAL"},"order":false,"perm":6,"readQueueNums":16,"topicFilterType":"SINGLE_TAG","topicName":"T5","topicSysFlag":0,"writeQueueNums":16}},` +
	`"topicQueueMappingDetailMap":{},` +
	`"topicQueueMappingInfoMap":{"T5":{"bname":"broker-a","currIdMap":{0:0,1:1},"dirty":false,"epoch":0,"topic":"T5","totalQueues":2}}}}`

func TestDecodeRegisterBodyJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want RegisterBody
	}{
		{"4.x broker", java4xBody, RegisterBody{
			DataVersion: DataVersion{Counter: 12, TimestampMs: 1700000000123},
			Topics: []TopicConfig{
				{TopicName: "%RETRY%group", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6},
				{TopicName: "TopicTest", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6},
				{TopicName: "UnitTopic", ReadQueueNums: 8, WriteQueueNums: 2, Perm: 7, TopicSysFlag: 1},
			},
		}},
		{"5.x broker with bare integer keys", java5xBody, RegisterBody{
			DataVersion: DataVersion{Counter: 3, StateVersion: 2, TimestampMs: 1700000000999},
			Topics:      []TopicConfig{{TopicName: "T5", ReadQueueNums: 16, WriteQueueNums: 16, Perm: 6}},
		}},
		{"missing fields take Java's defaults", `{"topicConfigSerializeWrapper":{"topicConfigTable":{"T":{}}}}`, RegisterBody{
			Topics: []TopicConfig{{TopicName: "T", ReadQueueNums: 16, WriteQueueNums: 16, Perm: 6}},
		}},
		{"topicName wins over the key", `{"topicConfigSerializeWrapper":{"topicConfigTable":{"k":{"topicName":"real","readQueueNums":1,"writeQueueNums":1}}}}`, RegisterBody{
			Topics: []TopicConfig{{TopicName: "real", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6}},
		}},
		{"equal names keep the later key", `{"topicConfigSerializeWrapper":{"topicConfigTable":{"b":{"topicName":"T","perm":2},"a":{"topicName":"T","perm":4}}}}`, RegisterBody{
			Topics: []TopicConfig{{TopicName: "T", ReadQueueNums: 16, WriteQueueNums: 16, Perm: 2}},
		}},
		{"pretty printed", "{\n\t\"topicConfigSerializeWrapper\" : {\n\t\t\"dataVersion\" : {\"counter\" : 1},\n\t\t\"topicConfigTable\" : {}\n\t}\n}", RegisterBody{
			DataVersion: DataVersion{Counter: 1}, Topics: []TopicConfig{},
		}},
		{"no wrapper", `{"filterServerList":["h:1"]}`, RegisterBody{}},
		{"null wrapper fields", `{"topicConfigSerializeWrapper":{"dataVersion":null,"topicConfigTable":null}}`, RegisterBody{Topics: []TopicConfig{}}},
		{"empty body", ``, RegisterBody{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeRegisterBody([]byte(tc.in), false)
			require.NoError(t, err)
			assert.Equal(t, tc.want, *got)
		})
	}
}

func TestDecodeRegisterBodyJSONErrors(t *testing.T) {
	deep := strings.Repeat(`{"a":`, maxJSONDepth+1) + "1" + strings.Repeat("}", maxJSONDepth+1)
	for _, tc := range []struct{ name, in, msg string }{
		{"array", `[]`, "not a JSON object"},
		{"null", `null`, "not a JSON object"},
		{"number", `42`, "not a JSON object"},
		{"garbage", `{{{`, "open brackets"},
		{"unbalanced", `{"a":1]`, "unexpected"},
		{"unterminated string", `{"a":"b`, "unterminated string"},
		{"trailing comma", `{"a":1,}`, "invalid character"},
		{"bare word key", `{abc:1}`, "invalid character"},
		{"fractional bare key", `{1.5:1}`, "integer"},
		{"too deep", deep, "nesting deeper"},
		{"null entry", `{"topicConfigSerializeWrapper":{"topicConfigTable":{"T":null}}}`, `topicConfigTable["T"] is null`},
		{"negative queues", `{"topicConfigSerializeWrapper":{"topicConfigTable":{"T":{"readQueueNums":-1}}}}`, "readQueueNums -1"},
		{"too many queues", `{"topicConfigSerializeWrapper":{"topicConfigTable":{"T":{"writeQueueNums":65537}}}}`, "writeQueueNums 65537"},
		{"float queues", `{"topicConfigSerializeWrapper":{"topicConfigTable":{"T":{"readQueueNums":1.5}}}}`, "cannot unmarshal"},
		{"string perm", `{"topicConfigSerializeWrapper":{"topicConfigTable":{"T":{"perm":"6"}}}}`, "cannot unmarshal"},
		{"int32 overflow", `{"topicConfigSerializeWrapper":{"topicConfigTable":{"T":{"perm":4294967296}}}}`, "cannot unmarshal"},
		{"empty topic name", `{"topicConfigSerializeWrapper":{"topicConfigTable":{"T":{"topicName":""}}}}`, "empty topic name"},
		{"long topic name", `{"topicConfigSerializeWrapper":{"topicConfigTable":{"` + strings.Repeat("x", 256) + `":{}}}}`, "topic name of 256 bytes"},
		{"wrapper is a string", `{"topicConfigSerializeWrapper":"x"}`, "cannot unmarshal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeRegisterBody([]byte(tc.in), false)
			require.ErrorIs(t, err, ErrBadRegisterBody)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

// inflatedBody builds the inflated layout of a compressed body by hand
// (package doc): length-prefixed data version, topic count, length-prefixed
// topic texts, length-prefixed filter server list, then extra bytes.
func inflatedBody(dataVersion string, topics []string, filterServers string, extra []byte) []byte {
	var b bytes.Buffer
	chunk := func(s string) {
		_ = binary.Write(&b, binary.BigEndian, int32(len(s)))
		b.WriteString(s)
	}
	chunk(dataVersion)
	_ = binary.Write(&b, binary.BigEndian, int32(len(topics)))
	for _, tc := range topics {
		chunk(tc)
	}
	chunk(filterServers)
	b.Write(extra)
	return b.Bytes()
}

func deflate(t testing.TB, inflated []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := zlib.NewWriterLevel(&b, zlib.BestCompression)
	require.NoError(t, err)
	_, err = w.Write(inflated)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return b.Bytes()
}

func TestDecodeRegisterBodyCompressed(t *testing.T) {
	dv := `{"counter":5,"stateVersion":1,"timestamp":1700000000000}`
	topics := []string{
		`TopicB 4 4 6 SINGLE_TAG {}`,
		`TopicA 8 2 4 MULTI_TAG {"+message.type":"NORMAL"}`,
		`Bare 1 1 2 SINGLE_TAG`,
	}
	want := RegisterBody{
		DataVersion: DataVersion{Counter: 5, StateVersion: 1, TimestampMs: 1700000000000},
		Topics: []TopicConfig{
			{TopicName: "Bare", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 2},
			{TopicName: "TopicA", ReadQueueNums: 8, WriteQueueNums: 2, Perm: 4},
			{TopicName: "TopicB", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6},
		},
	}
	// 4.x stream: ends after the filter server list.
	got, err := DecodeRegisterBody(deflate(t, inflatedBody(dv, topics, `[]`, nil)), true)
	require.NoError(t, err)
	assert.Equal(t, want, *got)

	// 5.x stream: one static-topic mapping follows, ignored.
	mapping := `{"bname":"b","currIdMap":{0:0},"topic":"TopicA","totalQueues":1}`
	extra := binary.BigEndian.AppendUint32(nil, 1)
	extra = binary.BigEndian.AppendUint32(extra, uint32(len(mapping)))
	extra = append(extra, mapping...)
	body5x := deflate(t, inflatedBody(dv, topics, `["h:1"]`, extra))
	got, err = DecodeRegisterBody(body5x, true)
	require.NoError(t, err)
	assert.Equal(t, want, *got)

	// A 5.x broker with compressedRegister=true leaves compressed=false.
	got, err = DecodeRegisterBody(body5x, false)
	require.NoError(t, err)
	assert.Equal(t, want, *got)
}

func TestDecodeRegisterBodyCompressedErrors(t *testing.T) {
	dv := `{"counter":1}`
	good := []string{"T 4 4 6 SINGLE_TAG"}
	count := func(n int32) []byte {
		b := inflatedBody(dv, nil, "", nil)
		return append(b[:4+len(dv)], binary.BigEndian.AppendUint32(nil, uint32(n))...)
	}
	for _, tc := range []struct {
		name     string
		inflated []byte
		msg      string
	}{
		{"empty stream", nil, "data version length: truncated"},
		{"data version longer than the stream", []byte{0, 0, 0, 99, '{'}, "length 99"},
		{"negative data version length", []byte{0xff, 0xff, 0xff, 0xff}, "length -1"},
		{"data version not an object", inflatedBody(`[1]`, good, "[]", nil), "not a JSON object"},
		{"data version wrong type", inflatedBody(`{"counter":"x"}`, good, "[]", nil), "cannot unmarshal"},
		{"count missing", inflatedBody(dv, nil, "", nil)[:4+len(dv)], "topic count: truncated"},
		{"count beyond the data", count(1000), "topic count 1000"},
		{"negative count", count(-1), "topic count -1"},
		{"four fields", inflatedBody(dv, []string{"T 4 4 6"}, "[]", nil), "has 4 fields"},
		{"not a number", inflatedBody(dv, []string{"T 4 x 6 SINGLE_TAG"}, "[]", nil), `field 2 "x"`},
		{"int32 overflow", inflatedBody(dv, []string{"T 4 4 2147483648 SINGLE_TAG"}, "[]", nil), "field 3"},
		{"unknown filter type", inflatedBody(dv, []string{"T 4 4 6 NONE"}, "[]", nil), `filter type "NONE"`},
		{"empty name", inflatedBody(dv, []string{" 4 4 6 SINGLE_TAG"}, "[]", nil), "empty topic name"},
		{"negative queues", inflatedBody(dv, []string{"T -4 4 6 SINGLE_TAG"}, "[]", nil), "readQueueNums -4"},
		{"filter list missing", inflatedBody(dv, good, "", nil)[:len(inflatedBody(dv, good, "", nil))-4], "filter server list length: truncated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeRegisterBody(deflate(t, tc.inflated), true)
			require.ErrorIs(t, err, ErrBadRegisterBody)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}

	t.Run("not zlib", func(t *testing.T) {
		_, err := DecodeRegisterBody([]byte(`{"a":1}`), true)
		require.ErrorIs(t, err, ErrBadRegisterBody)
		assert.Contains(t, err.Error(), "zlib")
	})
	t.Run("truncated zlib", func(t *testing.T) {
		z := deflate(t, inflatedBody(dv, good, "[]", nil))
		_, err := DecodeRegisterBody(z[:len(z)-6], true)
		require.ErrorIs(t, err, ErrBadRegisterBody)
		assert.Contains(t, err.Error(), "zlib")
	})
	t.Run("bad checksum", func(t *testing.T) {
		z := deflate(t, inflatedBody(dv, good, "[]", nil))
		z[len(z)-1] ^= 0xff
		_, err := DecodeRegisterBody(z, true)
		require.ErrorIs(t, err, ErrBadRegisterBody)
	})
	t.Run("zlib bomb", func(t *testing.T) {
		var z bytes.Buffer
		w, err := zlib.NewWriterLevel(&z, zlib.BestSpeed)
		require.NoError(t, err)
		zeros := make([]byte, 1<<20)
		for range MaxRegisterBodyBytes/len(zeros) + 1 {
			_, err = w.Write(zeros)
			require.NoError(t, err)
		}
		require.NoError(t, w.Close())
		_, err = DecodeRegisterBody(z.Bytes(), true)
		require.ErrorIs(t, err, ErrBadRegisterBody)
		assert.Contains(t, err.Error(), "inflates beyond")
	})
}

func TestRegisterBodyJSONRoundTrip(t *testing.T) {
	in := RegisterBody{
		DataVersion: DataVersion{Counter: 9, StateVersion: 3, TimestampMs: 1700000000001},
		Topics: []TopicConfig{
			{TopicName: "%DLQ%g", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6},
			{TopicName: "T\"q", ReadQueueNums: 8, WriteQueueNums: 4, Perm: 2, TopicSysFlag: 3},
		},
	}
	text := AppendRegisterBodyJSON(nil, &in)
	assert.Equal(t, `{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":9,"stateVersion":3,"timestamp":1700000000001},`+
		`"topicConfigTable":{"%DLQ%g":{"perm":6,"readQueueNums":1,"topicFilterType":"SINGLE_TAG","topicName":"%DLQ%g","topicSysFlag":0,"writeQueueNums":1},`+
		`"T\"q":{"perm":2,"readQueueNums":8,"topicFilterType":"SINGLE_TAG","topicName":"T\"q","topicSysFlag":3,"writeQueueNums":4}}}}`, string(text))
	out, err := DecodeRegisterBody(text, false)
	require.NoError(t, err)
	assert.Equal(t, in, *out)
}

func TestQuoteBareKeys(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{}`, `{}`},
		{`{0:1,-2:3}`, `{"0":1,"-2":3}`},
		{`{"a":{0:[0,1,{1:2}]}}`, `{"a":{"0":[0,1,{"1":2}]}}`},
		{`{ 10 : 1 , 20:2}`, `{ "10" : 1 , "20":2}`},
		{`{"s":"{0:1}","k\"":2}`, `{"s":"{0:1}","k\"":2}`},
		{`[0,1,-2]`, `[0,1,-2]`},
	} {
		got, err := quoteBareKeys([]byte(tc.in))
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, string(got))
	}
	plain := []byte(`{"a":[1,2]}`)
	got, err := quoteBareKeys(plain)
	require.NoError(t, err)
	assert.Same(t, &plain[0], &got[0], "input without bare keys is not copied")

	for _, bad := range []string{`{-:1}`, `{1e3:1}`, `{1.0:1}`, `{"a":1`, `]`, `{"a`} {
		_, err := quoteBareKeys([]byte(bad))
		require.ErrorIs(t, err, ErrBadRegisterBody, bad)
	}
}
