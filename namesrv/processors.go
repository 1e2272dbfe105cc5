package namesrv

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/apogeemq/apogee/remoting"
)

// handlers returns the request handlers by code. Every handler answers at
// once; a header that is missing or garbled gets SYSTEM_ERROR with the
// decoding error as remark, as RocketMQ answers a RemotingCommandException.
// Codes not listed get the transport's REQUEST_CODE_NOT_SUPPORTED.
func (ns *NameServer) handlers() map[int32]remoting.Handler {
	return map[int32]remoting.Handler{
		remoting.ReqPutKVConfig:                   ns.putKVConfig,
		remoting.ReqGetKVConfig:                   ns.getKVConfig,
		remoting.ReqDeleteKVConfig:                ns.deleteKVConfig,
		remoting.ReqRegisterBroker:                ns.registerBroker,
		remoting.ReqUnregisterBroker:              ns.unregisterBroker,
		remoting.ReqGetRouteInfoByTopic:           ns.getRouteInfoByTopic,
		remoting.ReqGetBrokerClusterInfo:          ns.getBrokerClusterInfo,
		remoting.ReqWipeWritePermOfBroker:         ns.wipeWritePermOfBroker,
		remoting.ReqGetAllTopicListFromNameserver: ns.getAllTopicList,
		remoting.ReqDeleteTopicInNamesrv:          ns.deleteTopicInNamesrv,
		remoting.ReqGetKVListByNamespace:          ns.getKVListByNamespace,
		remoting.ReqGetTopicsByCluster:            ns.getTopicsByCluster,
		remoting.ReqQueryDataVersion:              ns.queryDataVersion,
		remoting.ReqAddWritePermOfBroker:          ns.addWritePermOfBroker,
		remoting.ReqBrokerHeartbeat:               ns.brokerHeartbeat,
	}
}

// respond answers req with code, remark, extFields and body.
func respond(reply func(*remoting.Command), req *remoting.Command, code int32, remark string, ext map[string]string, body []byte) {
	resp := remoting.NewResponse(req, code, remark)
	resp.ExtFields = ext
	resp.Body = body
	reply(resp)
}

func replyOK(reply func(*remoting.Command), req *remoting.Command, body []byte) {
	respond(reply, req, remoting.ResSuccess, "", nil, body)
}

// fail answers a request that could not be served with code and the
// error's text.
func fail(reply func(*remoting.Command), req *remoting.Command, code int32, err error) {
	respond(reply, req, code, err.Error(), nil, nil)
}

func (ns *NameServer) registerBroker(p remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, err := remoting.DecodeRegisterBrokerRequestHeader(req.ExtFields)
	if err != nil {
		fail(reply, req, remoting.ResSystemError, err)
		return
	}
	if err := CheckBodyCRC(req.Body, h.BodyCRC32); err != nil {
		ns.log.Warn("namesrv: register broker refused", slog.String("broker", h.BrokerName), slog.String("addr", h.BrokerAddr), slog.String("remote", p.RemoteAddr()), slog.Any("err", err))
		fail(reply, req, remoting.ResSystemError, err)
		return
	}
	body, err := DecodeRegisterBody(req.Body, h.Compressed)
	if err != nil {
		ns.log.Warn("namesrv: register broker refused", slog.String("broker", h.BrokerName), slog.String("addr", h.BrokerAddr), slog.String("remote", p.RemoteAddr()), slog.Any("err", err))
		fail(reply, req, remoting.ResSystemError, err)
		return
	}
	br := BrokerRegistration{
		ClusterName:  h.ClusterName,
		BrokerAddr:   h.BrokerAddr,
		BrokerName:   h.BrokerName,
		BrokerID:     h.BrokerID,
		HAServerAddr: h.HAServerAddr,
		Body:         body,
		ConnID:       p.ID(),
	}
	if h.HeartbeatTimeoutMillis < 0 {
		fail(reply, req, remoting.ResInvalidParameter, fmt.Errorf("%w: heartbeatTimeoutMillis %d is negative", ErrInvalidRegistration, h.HeartbeatTimeoutMillis))
		return
	}
	br.HeartbeatTimeout = time.Duration(min(h.HeartbeatTimeoutMillis, maxHeartbeatTimeoutMillis)) * time.Millisecond
	if _, sent := req.ExtFields["enableActingMaster"]; sent {
		flag := h.EnableActingMaster
		br.EnableActingMaster = &flag
	}
	ns.rememberPeer(p)
	res, err := ns.registry.RegisterBroker(br)
	switch {
	case errors.Is(err, ErrInvalidRegistration):
		fail(reply, req, remoting.ResInvalidParameter, err)
		return
	case err != nil:
		fail(reply, req, remoting.ResSystemError, fmt.Errorf("register broker failed: %w", err))
		return
	}
	ns.log.Debug("namesrv: broker registered", slog.String("cluster", h.ClusterName), slog.String("broker", h.BrokerName),
		slog.Int64("id", h.BrokerID), slog.String("addr", h.BrokerAddr), slog.Int("topics", len(body.Topics)))
	// Like RocketMQ (returnOrderTopicConfigToBroker), the reply carries the
	// ordered-topic settings so that brokers learn them.
	orderConf, _ := ns.kv.AppendNamespaceJSON(nil, NamespaceOrderTopicConfig)
	ext := remoting.RegisterBrokerResponseHeader{HAServerAddr: res.HAServerAddr, MasterAddr: res.MasterAddr}.ToExtFields()
	respond(reply, req, remoting.ResSuccess, "", ext, orderConf)
}

// maxHeartbeatTimeoutMillis caps the heartbeat timeout a broker may ask
// for: a day keeps a typo from pinning a dead broker's routes for years,
// and still exceeds any sane setting (RocketMQ brokers send 10 s by
// default, when they send one at all).
const maxHeartbeatTimeoutMillis = int64(24 * time.Hour / time.Millisecond)

func (ns *NameServer) unregisterBroker(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, err := remoting.DecodeUnregisterBrokerRequestHeader(req.ExtFields)
	if err != nil {
		fail(reply, req, remoting.ResSystemError, err)
		return
	}
	if ns.registry.UnregisterBroker(h.ClusterName, h.BrokerAddr, h.BrokerName, h.BrokerID) {
		ns.log.Info("namesrv: broker unregistered", slog.String("cluster", h.ClusterName), slog.String("broker", h.BrokerName),
			slog.Int64("id", h.BrokerID), slog.String("addr", h.BrokerAddr))
	}
	replyOK(reply, req, nil)
}

// requiredExt reads extFields a header class without a typed counterpart
// marks @CFNotNull.
func requiredExt(req *remoting.Command, header string, keys ...string) ([]string, error) {
	out := make([]string, len(keys))
	for i, k := range keys {
		v, present := req.ExtFields[k]
		if !present {
			return nil, fmt.Errorf("%w: %s: field %q: missing", remoting.ErrInvalidParameter, header, k)
		}
		out[i] = v
	}
	return out, nil
}

func (ns *NameServer) brokerHeartbeat(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	f, err := requiredExt(req, "BrokerHeartbeatRequestHeader", "clusterName", "brokerAddr", "brokerName")
	if err != nil {
		fail(reply, req, remoting.ResSystemError, err)
		return
	}
	ns.registry.Heartbeat(f[0], f[1])
	replyOK(reply, req, nil)
}

func (ns *NameServer) queryDataVersion(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	f, err := requiredExt(req, "QueryDataVersionRequestHeader", "brokerName", "brokerAddr", "clusterName", "brokerId")
	if err != nil {
		fail(reply, req, remoting.ResSystemError, err)
		return
	}
	v, err := DecodeDataVersion(req.Body)
	if err != nil {
		fail(reply, req, remoting.ResSystemError, err)
		return
	}
	changed, recorded, known := ns.registry.QueryDataVersion(f[2], f[1], v)
	var body []byte
	if known {
		body = AppendDataVersionJSON(nil, recorded)
	}
	respond(reply, req, remoting.ResSuccess, "", map[string]string{"changed": strconv.FormatBool(changed)}, body)
}

func (ns *NameServer) getBrokerClusterInfo(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	replyOK(reply, req, ns.registry.AppendClusterInfoJSON(nil))
}

func (ns *NameServer) getAllTopicList(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	replyOK(reply, req, AppendTopicListJSON(nil, ns.registry.Topics()))
}

func (ns *NameServer) getTopicsByCluster(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, err := remoting.DecodeGetTopicsByClusterRequestHeader(req.ExtFields)
	if err != nil {
		fail(reply, req, remoting.ResSystemError, err)
		return
	}
	replyOK(reply, req, AppendTopicListJSON(nil, ns.registry.TopicsByCluster(h.Cluster)))
}

func (ns *NameServer) deleteTopicInNamesrv(p remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, err := remoting.DecodeDeleteTopicFromNamesrvRequestHeader(req.ExtFields)
	if err != nil {
		fail(reply, req, remoting.ResSystemError, err)
		return
	}
	if ns.registry.DeleteTopic(h.Topic, h.ClusterName) {
		ns.log.Info("namesrv: topic deleted", slog.String("topic", h.Topic), slog.String("cluster", h.ClusterName), slog.String("remote", p.RemoteAddr()))
	}
	replyOK(reply, req, nil)
}

func (ns *NameServer) wipeWritePermOfBroker(p remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, err := remoting.DecodeWipeWritePermOfBrokerRequestHeader(req.ExtFields)
	if err != nil {
		fail(reply, req, remoting.ResSystemError, err)
		return
	}
	n := ns.registry.WipeWritePerm(h.BrokerName)
	ns.log.Info("namesrv: write permission wiped", slog.String("broker", h.BrokerName), slog.Int("topics", n), slog.String("remote", p.RemoteAddr()))
	ext := remoting.WipeWritePermOfBrokerResponseHeader{WipeTopicCount: int32(n)}.ToExtFields()
	respond(reply, req, remoting.ResSuccess, "", ext, nil)
}

func (ns *NameServer) addWritePermOfBroker(p remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, err := remoting.DecodeAddWritePermOfBrokerRequestHeader(req.ExtFields)
	if err != nil {
		fail(reply, req, remoting.ResSystemError, err)
		return
	}
	n := ns.registry.AddWritePerm(h.BrokerName)
	ns.log.Info("namesrv: write permission added", slog.String("broker", h.BrokerName), slog.Int("topics", n), slog.String("remote", p.RemoteAddr()))
	ext := remoting.AddWritePermOfBrokerResponseHeader{AddTopicCount: int32(n)}.ToExtFields()
	respond(reply, req, remoting.ResSuccess, "", ext, nil)
}

func (ns *NameServer) putKVConfig(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, err := remoting.DecodePutKVConfigRequestHeader(req.ExtFields)
	if err != nil {
		fail(reply, req, remoting.ResSystemError, err)
		return
	}
	if err := ns.kv.Put(h.Namespace, h.Key, h.Value); err != nil {
		fail(reply, req, remoting.ResSystemError, err)
		return
	}
	replyOK(reply, req, nil)
}

func (ns *NameServer) getKVConfig(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, err := remoting.DecodeGetKVConfigRequestHeader(req.ExtFields)
	if err != nil {
		fail(reply, req, remoting.ResSystemError, err)
		return
	}
	v, found := ns.kv.Get(h.Namespace, h.Key)
	if !found {
		respond(reply, req, remoting.ResQueryNotFound, "No config item, Namespace: "+h.Namespace+" Key: "+h.Key, nil, nil)
		return
	}
	// The value goes out even when empty, which the typed header would drop.
	respond(reply, req, remoting.ResSuccess, "", map[string]string{"value": v}, nil)
}

func (ns *NameServer) deleteKVConfig(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, err := remoting.DecodeDeleteKVConfigRequestHeader(req.ExtFields)
	if err != nil {
		fail(reply, req, remoting.ResSystemError, err)
		return
	}
	ns.kv.Delete(h.Namespace, h.Key)
	replyOK(reply, req, nil)
}

func (ns *NameServer) getKVListByNamespace(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	f, err := requiredExt(req, "GetKVListByNamespaceRequestHeader", "namespace")
	if err != nil {
		fail(reply, req, remoting.ResSystemError, err)
		return
	}
	body, found := ns.kv.AppendNamespaceJSON(nil, f[0])
	if !found {
		respond(reply, req, remoting.ResQueryNotFound, "No config item, Namespace: "+f[0], nil, nil)
		return
	}
	replyOK(reply, req, body)
}
