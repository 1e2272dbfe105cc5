package remoting

import (
	"bytes"
	"testing"
	"time"
)

// sendRequest is a SEND_MESSAGE request as the Go client sends it
// (spec/remoting.md §4.2) with a 1 KiB body.
func sendRequest(ser SerializeType) *Command {
	c := NewRequest(ReqSendMessage, map[string]string{
		"producerGroup":         "please_rename_unique_group_name",
		"topic":                 "TopicTest",
		"defaultTopic":          "TBW102",
		"defaultTopicQueueNums": "4",
		"queueId":               "3",
		"sysFlag":               "0",
		"bornTimestamp":         "1700000000123",
		"flag":                  "0",
		"properties":            "UNIQ_KEY\x01AC11000100002A9F00000000000001F4\x02TAGS\x01TagA\x02KEYS\x01order-42\x02WAIT\x01true\x02",
		"reconsumeTimes":        "0",
		"unitMode":              "false",
		"maxReconsumeTimes":     "0",
		"batch":                 "false",
		"bname":                 "broker-a",
	}, bytes.Repeat([]byte("m"), 1<<10))
	c.Opaque = 4242
	c.Serialize = ser
	return c
}

// pullResponse is a PULL_MESSAGE response carrying 32 records of 1 KiB.
func pullResponse(ser SerializeType) *Command {
	req := &Command{Code: ReqPullMessage, Opaque: 77, Serialize: ser}
	c := NewResponse(req, ResSuccess, "FOUND")
	c.ExtFields = map[string]string{
		"nextBeginOffset":      "1032",
		"minOffset":            "0",
		"maxOffset":            "5000",
		"suggestWhichBrokerId": "0",
	}
	c.Body = bytes.Repeat([]byte("r"), 32<<10)
	return c
}

// baselineMinDuration is how long copyBaselineNs times its copy loop: long
// enough to swamp timer resolution, short next to a benchmark run.
const baselineMinDuration = 100 * time.Millisecond

// copyBaselineNs measures, in the same run, how long copying frameBytes
// bytes takes: the floor any codec of that frame is compared with. It times
// its own loop, doubling the count until it runs baselineMinDuration;
// testing.Benchmark cannot be used from inside a running benchmark.
func copyBaselineNs(frameBytes int) float64 {
	src, dst := make([]byte, frameBytes), make([]byte, frameBytes)
	for n := 1; ; n *= 2 {
		start := time.Now()
		for range n {
			copy(dst, src)
		}
		if elapsed := time.Since(start); elapsed >= baselineMinDuration {
			return float64(elapsed.Nanoseconds()) / float64(n)
		}
	}
}

// reportAgainst reports ops/s and the time per operation as a multiple of
// the baseline's ("x-baseline").
func reportAgainst(b *testing.B, baselineNs float64) {
	ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(1e9/ns, "ops/s")
	b.ReportMetric(ns/baselineNs, "x-baseline")
}

// benchEncode measures AppendFrame of c into a reused buffer.
func benchEncode(b *testing.B, c *Command) {
	frame, err := AppendFrame(nil, c)
	if err != nil {
		b.Fatal(err)
	}
	baseline := copyBaselineNs(len(frame))
	buf := make([]byte, 0, len(frame))
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		buf, err = AppendFrame(buf[:0], c)
		if err != nil {
			b.Fatal(err)
		}
	}
	reportAgainst(b, baseline)
}

// benchDecode measures DecodeFrame of c's frame.
func benchDecode(b *testing.B, c *Command) {
	frame, err := AppendFrame(nil, c)
	if err != nil {
		b.Fatal(err)
	}
	baseline := copyBaselineNs(len(frame))
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := DecodeFrame(frame); err != nil {
			b.Fatal(err)
		}
	}
	reportAgainst(b, baseline)
}

// serializations are the header serializations each benchmark runs with.
var serializations = []SerializeType{SerializeJSON, SerializeRocketMQ}

func BenchmarkEncodeSendRequest(b *testing.B) {
	for _, ser := range serializations {
		b.Run(ser.String(), func(b *testing.B) { benchEncode(b, sendRequest(ser)) })
	}
}

func BenchmarkDecodeSendRequest(b *testing.B) {
	for _, ser := range serializations {
		b.Run(ser.String(), func(b *testing.B) { benchDecode(b, sendRequest(ser)) })
	}
}

func BenchmarkEncodePullResponse(b *testing.B) {
	for _, ser := range serializations {
		b.Run(ser.String(), func(b *testing.B) { benchEncode(b, pullResponse(ser)) })
	}
}

func BenchmarkDecodePullResponse(b *testing.B) {
	for _, ser := range serializations {
		b.Run(ser.String(), func(b *testing.B) { benchDecode(b, pullResponse(ser)) })
	}
}

// BenchmarkEncodePullResponseHead measures the transport's path for a pull
// response: the head alone, the records being sent from their own buffers.
func BenchmarkEncodePullResponseHead(b *testing.B) {
	for _, ser := range serializations {
		b.Run(ser.String(), func(b *testing.B) {
			c := pullResponse(ser)
			head, err := AppendFrameHead(nil, c, len(c.Body))
			if err != nil {
				b.Fatal(err)
			}
			baseline := copyBaselineNs(len(head))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				head, err = AppendFrameHead(head[:0], c, len(c.Body))
				if err != nil {
					b.Fatal(err)
				}
			}
			reportAgainst(b, baseline)
		})
	}
}
