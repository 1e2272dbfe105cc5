package broker

import (
	"github.com/apogeemq/apogee/namesrv"
	"github.com/apogeemq/apogee/remoting"
)

// registerAll sends REGISTER_BROKER with the whole topic table to every
// name server, without waiting; failures are logged and retried by the next
// period.
func (b *Broker) registerAll() {
	addr, haAddr := b.publishedAddrs()
	if addr == "" {
		return
	}
	topics, dv := b.topics.all()
	body := namesrv.RegisterBody{DataVersion: namesrv.DataVersion{Counter: dv.Counter, StateVersion: dv.StateVersion, TimestampMs: dv.TimestampMs}}
	perm := b.cfg.BrokerPermission
	for _, tc := range topics {
		body.Topics = append(body.Topics, namesrv.TopicConfig{
			TopicName:      tc.TopicName,
			ReadQueueNums:  tc.ReadQueueNums,
			WriteQueueNums: tc.WriteQueueNums,
			// A broker without write permission publishes its topics
			// without it, so producers go elsewhere (RocketMQ does the same).
			Perm:         tc.Perm & perm,
			TopicSysFlag: tc.TopicSysFlag,
		})
	}
	data := namesrv.AppendRegisterBodyJSON(nil, &body)
	h := remoting.RegisterBrokerRequestHeader{
		BrokerName:             b.cfg.BrokerName,
		BrokerAddr:             addr,
		ClusterName:            b.cfg.ClusterName,
		HAServerAddr:           haAddr,
		BrokerID:               b.brokerID(),
		HeartbeatTimeoutMillis: b.cfg.ChannelExpiredTimeout.Milliseconds(),
		BodyCRC32:              namesrv.BodyCRC32(data),
	}
	for _, ns := range b.cfg.NamesrvAddrs {
		req := remoting.NewRequest(remoting.ReqRegisterBroker, h.ToExtFields(), data)
		b.nsClient.Invoke(ns, req, b.cfg.RegisterTimeout, func(resp *remoting.Command, err error) {
			switch {
			case err != nil:
				b.log.Warn("broker: register with name server failed", "namesrv", ns, "err", err)
			case resp.Code != remoting.ResSuccess:
				b.log.Warn("broker: name server refused the registration", "namesrv", ns,
					"code", remoting.ResponseCodeName(resp.Code), "remark", resp.Remark)
			default:
				b.log.Debug("broker: registered", "namesrv", ns, "topics", len(body.Topics))
				if b.isSlave() {
					// The answer names the master a slave copies.
					if rh, err := remoting.DecodeRegisterBrokerResponseHeader(resp.ExtFields); err == nil {
						b.repl.registered(rh)
					}
				}
			}
		})
	}
}

// registerSoon registers with the name servers after a topic change.
func (b *Broker) registerSoon() { b.registerAll() }

// publishedAddrs returns the broker's address and its HA address (a
// master's HA server's, else listenPort + 1), or "" before Start.
func (b *Broker) publishedAddrs() (string, string) {
	b.mu.Lock()
	if !b.started || b.closed {
		b.mu.Unlock()
		return "", ""
	}
	addr, host := b.addr, b.storeHost
	b.mu.Unlock()
	return addr, b.repl.haServerAddr(host)
}
