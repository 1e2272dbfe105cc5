package client

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"sync"
)

// zlibWriters recycles compressors: a zlib writer holds some hundred KiB
// of tables, too much to build per message.
var zlibWriters = sync.Pool{New: func() any {
	w, err := zlib.NewWriterLevel(io.Discard, CompressLevel)
	if err != nil {
		panic(fmt.Sprintf("client: zlib level %d: %v", CompressLevel, err))
	}
	return w
}}

// zlibReaders recycles decompressors (zlib.Resetter).
var zlibReaders sync.Pool

// compress returns body zlib-compressed at CompressLevel, in a new slice
// (it becomes a request body, owned by the transport until written).
func compress(body []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(body)/2 + 64)
	w := zlibWriters.Get().(*zlib.Writer)
	w.Reset(&out)
	// Writing to a bytes.Buffer cannot fail.
	if _, err := w.Write(body); err != nil {
		panic(fmt.Sprintf("client: compressing into memory: %v", err))
	}
	if err := w.Close(); err != nil {
		panic(fmt.Sprintf("client: compressing into memory: %v", err))
	}
	zlibWriters.Put(w)
	return out.Bytes()
}

// inflate returns the zlib stream src decompressed, refusing (with an error
// wrapping ErrBadPullBody) a stream that is malformed or inflates beyond
// limitBytes.
func inflate(src []byte, limitBytes int) ([]byte, error) {
	in := bytes.NewReader(src)
	var zr io.ReadCloser
	if r, ok := zlibReaders.Get().(io.ReadCloser); ok {
		if err := r.(zlib.Resetter).Reset(in, nil); err != nil {
			return nil, fmt.Errorf("%w: compressed body: %v", ErrBadPullBody, err)
		}
		zr = r
	} else {
		r, err := zlib.NewReader(in)
		if err != nil {
			return nil, fmt.Errorf("%w: compressed body: %v", ErrBadPullBody, err)
		}
		zr = r
	}
	defer zlibReaders.Put(zr)
	var out bytes.Buffer
	out.Grow(min(4*len(src), limitBytes))
	n, err := out.ReadFrom(io.LimitReader(zr, int64(limitBytes)+1))
	if err != nil {
		return nil, fmt.Errorf("%w: compressed body: %v", ErrBadPullBody, err)
	}
	if n > int64(limitBytes) {
		return nil, fmt.Errorf("%w: compressed body of %d bytes inflates beyond %d bytes", ErrBadPullBody, len(src), limitBytes)
	}
	return out.Bytes(), nil
}
