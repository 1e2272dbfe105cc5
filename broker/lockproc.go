package broker

import (
	"log/slog"
	"time"

	"github.com/apogeemq/apogee/remoting"
)

// lockLiveTime is the configured lock lifetime, or the default.
func lockLiveTime(cfg *Config) time.Duration {
	if cfg.RebalanceLockMaxLiveTime > 0 {
		return cfg.RebalanceLockMaxLiveTime
	}
	return DefaultRebalanceLockMaxLiveTime
}

// decodeLockBody reads the body shared by LOCK_BATCH_MQ and
// UNLOCK_BATCH_MQ; when it is unusable it answers (SYSTEM_ERROR for a body
// that does not decode, as Java's decode exception; INVALID_PARAMETER for
// a missing group or client id) and reports false.
func decodeLockBody(req *remoting.Command, reply func(*remoting.Command)) (*remoting.LockBatchRequestBody, bool) {
	body, err := remoting.DecodeLockBatchRequestBody(req.Body)
	if err != nil {
		reply(remoting.NewResponse(req, remoting.ResSystemError, err.Error()))
		return nil, false
	}
	if body.ConsumerGroup == "" || body.ClientID == "" {
		reply(remoting.NewResponse(req, remoting.ResInvalidParameter, "the lock request names no consumerGroup or no clientId"))
		return nil, false
	}
	return body, true
}

// lockBatchMQ serves LOCK_BATCH_MQ: it locks or renews the queues for the
// client and answers the ones the client holds (lockOKMQSet).
func (b *Broker) lockBatchMQ(p remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	body, ok := decodeLockBody(req, reply)
	if !ok {
		return
	}
	locked, full := b.locks.tryLockBatch(body.ConsumerGroup, body.ClientID, body.MQSet, b.env.Clock.Now())
	if full > 0 {
		b.log.Warn("broker: queue lock table is full, locks refused", slog.String("group", body.ConsumerGroup),
			slog.String("client", body.ClientID), slog.Int("refused", full), slog.Int("max", maxQueueLocks))
	}
	if len(locked) < len(body.MQSet) {
		b.log.Debug("broker: some queues are locked by another client", slog.String("group", body.ConsumerGroup),
			slog.String("client", body.ClientID), slog.Int("asked", len(body.MQSet)), slog.Int("locked", len(locked)),
			slog.String("addr", p.RemoteAddr()))
	}
	resp := remoting.NewResponse(req, remoting.ResSuccess, "")
	resp.Body = remoting.AppendLockBatchResponseBodyJSON(nil, &remoting.LockBatchResponseBody{LockOKMQSet: locked})
	reply(resp)
}

// unlockBatchMQ serves UNLOCK_BATCH_MQ: it releases the queues the client
// holds among those named. The answer is SUCCESS whatever was released,
// as in RocketMQ.
func (b *Broker) unlockBatchMQ(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	body, ok := decodeLockBody(req, reply)
	if !ok {
		return
	}
	n := b.locks.unlockBatch(body.ConsumerGroup, body.ClientID, body.MQSet)
	b.log.Debug("broker: queues unlocked", slog.String("group", body.ConsumerGroup), slog.String("client", body.ClientID),
		slog.Int("asked", len(body.MQSet)), slog.Int("released", n))
	reply(remoting.NewResponse(req, remoting.ResSuccess, ""))
}
