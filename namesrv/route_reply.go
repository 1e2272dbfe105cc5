package namesrv

import (
	"log/slog"
	"sync"

	"github.com/apogeemq/apogee/remoting"
)

// routeBodyCapBytes sizes a new route buffer: a topic on a handful of
// brokers renders in a few hundred bytes, ten brokers in about two KiB.
const routeBodyCapBytes = 2 << 10

// maxPooledRouteBytes is the largest route buffer kept for reuse; a route
// of a topic on hundreds of brokers is rare and its buffer is left to the
// garbage collector rather than pinned in the pool.
const maxPooledRouteBytes = 64 << 10

// routeBuf is a pooled buffer a route reply is rendered into and written
// from without copying (Peer.ReplyParts); the transport hands it back
// through release once the bytes are written. Clients ask for every route
// every 30 s, which makes this the name server's hot path.
type routeBuf struct {
	body    []byte
	parts   [1][]byte
	release func(error) // rb.recycle, bound on first use
}

var routeBufs = sync.Pool{New: func() any { return &routeBuf{body: make([]byte, 0, routeBodyCapBytes)} }}

func (rb *routeBuf) recycle(error) {
	rb.parts[0] = nil
	if cap(rb.body) > maxPooledRouteBytes {
		return
	}
	rb.body = rb.body[:0]
	routeBufs.Put(rb)
}

func (ns *NameServer) getRouteInfoByTopic(p remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, err := remoting.DecodeGetRouteInfoRequestHeader(req.ExtFields)
	if err != nil {
		fail(reply, req, remoting.ResSystemError, err)
		return
	}
	orderConf, _ := ns.kv.Get(NamespaceOrderTopicConfig, h.Topic)
	rb := routeBufs.Get().(*routeBuf)
	if rb.release == nil {
		rb.release = rb.recycle
	}
	body, found := ns.registry.AppendRouteJSON(rb.body[:0], h.Topic, orderConf)
	if !found {
		rb.recycle(nil)
		ns.log.Debug("namesrv: no route", slog.String("topic", h.Topic), slog.String("remote", p.RemoteAddr()))
		respond(reply, req, remoting.ResTopicNotExist, "No topic route info in name server for the topic: "+h.Topic, nil, nil)
		return
	}
	rb.body = body
	rb.parts[0] = body
	p.ReplyParts(req, remoting.NewResponse(req, remoting.ResSuccess, ""), rb.parts[:], rb.release)
}
