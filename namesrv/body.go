package namesrv

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"strconv"
	"strings"
)

// MaxRegisterBodyBytes bounds a registration body after inflating. A
// broker's topic table takes about 250 bytes a topic in JSON, so 64 MiB
// holds over 200,000 topics, beyond any real broker, while a zlib bomb
// stops there.
const MaxRegisterBodyBytes = 64 << 20

// maxTopicNameBytes bounds a topic name. RocketMQ's TopicValidator allows
// 127 characters; brokers never send longer ones, and 255 bytes leaves room
// for multi-byte characters.
const maxTopicNameBytes = 255

// zlibHeaderByte is the first byte of every zlib stream Java's Deflater
// writes (CMF: deflate, 32 KiB window).
const zlibHeaderByte = 0x78

// Java's TopicConfig defaults, used for fields a JSON body leaves out.
const (
	javaDefaultQueueNums int32 = 16
	javaDefaultPerm            = PermRead | PermWrite
)

// ErrBadRegisterBody reports a REGISTER_BROKER body that cannot be decoded.
var ErrBadRegisterBody = errors.New("namesrv: bad register broker body")

// ErrBodyCRC reports a body whose CRC does not match the header's bodyCrc32.
var ErrBodyCRC = errors.New("namesrv: register broker body CRC mismatch")

// TopicConfig is the part of a broker's topic configuration the name server
// keeps.
type TopicConfig struct {
	TopicName      string
	ReadQueueNums  int32
	WriteQueueNums int32
	Perm           int32
	TopicSysFlag   int32
}

// RegisterBody is a decoded RegisterBrokerBody: the broker's topic
// configuration and its data version. Topics are sorted by name, names
// unique.
type RegisterBody struct {
	DataVersion DataVersion
	Topics      []TopicConfig
}

// BodyCRC32 is RocketMQ's UtilAll.crc32: the IEEE CRC-32 of b with the top
// bit cleared, the value brokers send as bodyCrc32.
func BodyCRC32(b []byte) int32 {
	return int32(crc32.ChecksumIEEE(b) & 0x7FFFFFFF)
}

// CheckBodyCRC returns ErrBodyCRC when want is not 0 and differs from
// BodyCRC32(body); 0 means the broker sent no checksum.
func CheckBodyCRC(body []byte, want int32) error {
	if want == 0 {
		return nil
	}
	if got := BodyCRC32(body); got != want {
		return fmt.Errorf("%w: header says %d, body has %d", ErrBodyCRC, want, got)
	}
	return nil
}

// DecodeRegisterBody decodes a RegisterBrokerBody in either encoding (see
// the package doc): compressed when the header says so or the body starts
// with a zlib header, JSON otherwise. An empty body is an empty
// registration, as in RocketMQ. Errors match ErrBadRegisterBody.
func DecodeRegisterBody(body []byte, compressed bool) (*RegisterBody, error) {
	if len(body) == 0 {
		return &RegisterBody{}, nil
	}
	if compressed || body[0] == zlibHeaderByte {
		return decodeCompressedBody(body)
	}
	return decodeJSONBody(body)
}

func badBody(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadRegisterBody, fmt.Sprintf(format, args...))
}

type wireBody struct {
	Wrapper *wireWrapper `json:"topicConfigSerializeWrapper"`
}

type wireWrapper struct {
	DataVersion      *wireDataVersion            `json:"dataVersion"`
	TopicConfigTable map[string]*wireTopicConfig `json:"topicConfigTable"`
}

type wireDataVersion struct {
	Counter      int64 `json:"counter"`
	StateVersion int64 `json:"stateVersion"`
	Timestamp    int64 `json:"timestamp"`
}

type wireTopicConfig struct {
	TopicName      *string `json:"topicName"`
	ReadQueueNums  *int32  `json:"readQueueNums"`
	WriteQueueNums *int32  `json:"writeQueueNums"`
	Perm           *int32  `json:"perm"`
	TopicSysFlag   *int32  `json:"topicSysFlag"`
}

func decodeJSONBody(body []byte) (*RegisterBody, error) {
	if len(body) > MaxRegisterBodyBytes {
		return nil, badBody("%d bytes, limit %d", len(body), MaxRegisterBodyBytes)
	}
	text, err := quoteBareKeys(body)
	if err != nil {
		return nil, err
	}
	if t := bytes.TrimLeft(text, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, badBody("the body is not a JSON object")
	}
	var w wireBody
	if err := json.Unmarshal(text, &w); err != nil {
		return nil, badBody("%v", err)
	}
	out := &RegisterBody{}
	if w.Wrapper == nil {
		return out, nil
	}
	if dv := w.Wrapper.DataVersion; dv != nil {
		out.DataVersion = DataVersion{Counter: dv.Counter, StateVersion: dv.StateVersion, TimestampMs: dv.Timestamp}
	}
	keys := make([]string, 0, len(w.Wrapper.TopicConfigTable))
	for k := range w.Wrapper.TopicConfigTable {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	topics := make([]TopicConfig, 0, len(keys))
	for _, key := range keys {
		wc := w.Wrapper.TopicConfigTable[key]
		if wc == nil {
			return nil, badBody("topicConfigTable[%q] is null", clip(key))
		}
		tc := TopicConfig{
			TopicName:      key,
			ReadQueueNums:  orDefault(wc.ReadQueueNums, javaDefaultQueueNums),
			WriteQueueNums: orDefault(wc.WriteQueueNums, javaDefaultQueueNums),
			Perm:           orDefault(wc.Perm, javaDefaultPerm),
			TopicSysFlag:   orDefault(wc.TopicSysFlag, 0),
		}
		if wc.TopicName != nil {
			tc.TopicName = *wc.TopicName
		}
		if err := checkTopicConfig(&tc); err != nil {
			return nil, badBody("topicConfigTable[%q]: %v", clip(key), err)
		}
		topics = append(topics, tc)
	}
	out.Topics = uniqueTopics(topics)
	return out, nil
}

func orDefault(p *int32, def int32) int32 {
	if p == nil {
		return def
	}
	return *p
}

// uniqueTopics sorts topics by name and keeps the last of equal names (the
// later table key, as Java's map put would).
func uniqueTopics(topics []TopicConfig) []TopicConfig {
	slices.SortStableFunc(topics, func(a, b TopicConfig) int { return strings.Compare(a.TopicName, b.TopicName) })
	out := topics[:0]
	for i, tc := range topics {
		if i+1 < len(topics) && topics[i+1].TopicName == tc.TopicName {
			continue
		}
		out = append(out, tc)
	}
	return out
}

func checkTopicConfig(tc *TopicConfig) error {
	switch {
	case tc.TopicName == "":
		return errors.New("empty topic name")
	case len(tc.TopicName) > maxTopicNameBytes:
		return fmt.Errorf("topic name of %d bytes, limit %d", len(tc.TopicName), maxTopicNameBytes)
	case tc.ReadQueueNums < 0 || tc.ReadQueueNums > MaxQueueNums:
		return fmt.Errorf("readQueueNums %d outside [0, %d]", tc.ReadQueueNums, MaxQueueNums)
	case tc.WriteQueueNums < 0 || tc.WriteQueueNums > MaxQueueNums:
		return fmt.Errorf("writeQueueNums %d outside [0, %d]", tc.WriteQueueNums, MaxQueueNums)
	}
	return nil
}

// clip shortens outside text quoted in an error.
func clip(s string) string {
	const maxQuoted = 64
	if len(s) <= maxQuoted {
		return s
	}
	return s[:maxQuoted] + "..."
}

func decodeCompressedBody(body []byte) (*RegisterBody, error) {
	zr, err := zlib.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, badBody("zlib: %v", err)
	}
	data, err := io.ReadAll(io.LimitReader(zr, MaxRegisterBodyBytes+1))
	if err != nil {
		return nil, badBody("zlib: %v", err)
	}
	if len(data) > MaxRegisterBodyBytes {
		return nil, badBody("inflates beyond %d bytes", MaxRegisterBodyBytes)
	}
	r := binReader{data: data}
	dvText, err := r.chunk("data version")
	if err != nil {
		return nil, err
	}
	dv, err := decodeDataVersionJSON(dvText)
	if err != nil {
		return nil, err
	}
	count, err := r.int32("topic count")
	if err != nil {
		return nil, err
	}
	// Each entry takes at least its 4-byte length: a count beyond that is
	// a lie, refused before it sizes anything.
	if count < 0 || int(count) > r.remaining()/4 {
		return nil, badBody("topic count %d with %d bytes left", count, r.remaining())
	}
	topics := make([]TopicConfig, 0, count)
	for i := range int(count) {
		text, err := r.chunk("topic config")
		if err != nil {
			return nil, err
		}
		// Java reads the text as UTF-8, replacing malformed bytes.
		tc, err := parseTopicConfigText(strings.ToValidUTF8(string(text), "\uFFFD"))
		if err != nil {
			return nil, badBody("topic entry %d: %v", i, err)
		}
		topics = append(topics, tc)
	}
	if _, err := r.chunk("filter server list"); err != nil {
		return nil, err
	}
	// 5.x appends the static-topic mappings here; the name server does not
	// serve them and, like a Java name server talking to a 4.x broker,
	// ignores what follows.
	return &RegisterBody{DataVersion: dv, Topics: uniqueTopics(topics)}, nil
}

// DecodeDataVersion reads a DataVersion JSON object (the body of
// QUERY_DATA_VERSION). Errors match ErrBadRegisterBody.
func DecodeDataVersion(text []byte) (DataVersion, error) {
	return decodeDataVersionJSON(text)
}

func decodeDataVersionJSON(text []byte) (DataVersion, error) {
	norm, err := quoteBareKeys(text)
	if err != nil {
		return DataVersion{}, err
	}
	if t := bytes.TrimLeft(norm, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return DataVersion{}, badBody("the data version is not a JSON object")
	}
	var w wireDataVersion
	if err := json.Unmarshal(norm, &w); err != nil {
		return DataVersion{}, badBody("data version: %v", err)
	}
	return DataVersion{Counter: w.Counter, StateVersion: w.StateVersion, TimestampMs: w.Timestamp}, nil
}

// parseTopicConfigText reads TopicConfig.encode()'s text:
// "<topic> <read> <write> <perm> <filterType>[ <attributes JSON>]". The
// attributes are not kept.
func parseTopicConfigText(s string) (TopicConfig, error) {
	fields := strings.Split(s, " ")
	for len(fields) > 0 && fields[len(fields)-1] == "" {
		fields = fields[:len(fields)-1] // Java's split drops trailing empties
	}
	if len(fields) < 5 {
		return TopicConfig{}, fmt.Errorf("%q has %d fields, want at least 5", clip(s), len(fields))
	}
	tc := TopicConfig{TopicName: fields[0]}
	nums := []*int32{&tc.ReadQueueNums, &tc.WriteQueueNums, &tc.Perm}
	for i, dst := range nums {
		n, err := strconv.ParseInt(fields[1+i], 10, 32)
		if err != nil {
			return TopicConfig{}, fmt.Errorf("field %d %q is not an int32", 1+i, clip(fields[1+i]))
		}
		*dst = int32(n)
	}
	if f := fields[4]; f != "SINGLE_TAG" && f != "MULTI_TAG" {
		return TopicConfig{}, fmt.Errorf("unknown topic filter type %q", clip(f))
	}
	if err := checkTopicConfig(&tc); err != nil {
		return TopicConfig{}, err
	}
	return tc, nil
}

// binReader reads the big-endian framing of the compressed body.
type binReader struct {
	data []byte
	off  int
}

func (r *binReader) remaining() int { return len(r.data) - r.off }

func (r *binReader) int32(what string) (int32, error) {
	if r.remaining() < 4 {
		return 0, badBody("%s: truncated at byte %d", what, r.off)
	}
	v := int32(binary.BigEndian.Uint32(r.data[r.off:]))
	r.off += 4
	return v, nil
}

// chunk reads an int32 length and that many bytes.
func (r *binReader) chunk(what string) ([]byte, error) {
	n, err := r.int32(what + " length")
	if err != nil {
		return nil, err
	}
	if n < 0 || int(n) > r.remaining() {
		return nil, badBody("%s: length %d at byte %d with %d bytes left", what, n, r.off-4, r.remaining())
	}
	b := r.data[r.off : r.off+int(n)]
	r.off += int(n)
	return b, nil
}
