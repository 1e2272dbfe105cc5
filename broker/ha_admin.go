package broker

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/magiconair/properties"

	"github.com/apogeemq/apogee/remoting"
	"github.com/apogeemq/apogee/store/configfile"
)

// getAllConsumerOffset serves GET_ALL_CONSUMER_OFFSET: every committed
// offset, as consumerOffset.json holds them (a slave copies them).
func (b *Broker) getAllConsumerOffset(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	data, err := configfile.MarshalConsumerOffsets(b.offsets.snapshot())
	if err != nil {
		reply(remoting.NewResponse(req, remoting.ResSystemError, err.Error()))
		return
	}
	resp := remoting.NewResponse(req, remoting.ResSuccess, "")
	resp.Body = data
	reply(resp)
}

// getAllDelayOffset serves GET_ALL_DELAY_OFFSET: the delay levels'
// progress as delayOffset.json last recorded it, whose deliveries are
// durable here (a slave copies it).
func (b *Broker) getAllDelayOffset(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	t := configfile.NewDelayOffsetTable()
	t.QueueOffsets = b.delay.levels.writtenTable()
	data, err := configfile.MarshalDelayOffsets(t)
	if err != nil {
		reply(remoting.NewResponse(req, remoting.ResSystemError, err.Error()))
		return
	}
	resp := remoting.NewResponse(req, remoting.ResSuccess, "")
	resp.Body = data
	reply(resp)
}

// maxBrokerConfigBodyBytes bounds UPDATE_BROKER_CONFIG's body: a few keys
// of Java properties.
const maxBrokerConfigBodyBytes = 64 << 10

// updateBrokerConfig serves UPDATE_BROKER_CONFIG. Of the broker's settings
// only brokerRole (with brokerId) changes at run time: a slave given
// brokerRole=ASYNC_MASTER or SYNC_MASTER (and brokerId=0, or no brokerId)
// is promoted (ha_promote.go) and the answer comes once it serves as the
// master. Any other key, or another role change, is INVALID_PARAMETER:
// those settings take a restart with a changed broker.conf.
func (b *Broker) updateBrokerConfig(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	invalid := func(format string, args ...any) {
		reply(remoting.NewResponse(req, remoting.ResInvalidParameter, fmt.Sprintf(format, args...)))
	}
	if len(req.Body) > maxBrokerConfigBodyBytes {
		invalid("the body has %d bytes, at most %d", len(req.Body), maxBrokerConfigBodyBytes)
		return
	}
	loader := properties.Loader{Encoding: properties.UTF8, DisableExpansion: true}
	props, err := loader.LoadBytes(req.Body)
	if err != nil {
		invalid("the body is not Java properties: %v", err)
		return
	}
	keys := props.Keys()
	slices.Sort(keys)
	for _, k := range keys {
		if k != "brokerRole" && k != "brokerId" {
			invalid("%s cannot change at run time (only brokerRole and brokerId do): change broker.conf and restart", k)
			return
		}
	}
	roleText, hasRole := props.Get("brokerRole")
	if !hasRole {
		invalid("brokerId changes only with brokerRole")
		return
	}
	role := Role(strings.TrimSpace(roleText))
	switch role {
	case RoleAsyncMaster, RoleSyncMaster, RoleSlave:
	default:
		invalid("unknown brokerRole %q", roleText)
		return
	}
	if idText, ok := props.Get("brokerId"); ok {
		id, err := strconv.ParseInt(strings.TrimSpace(idText), 10, 64)
		if err != nil || id != masterBrokerID && role != RoleSlave {
			invalid("brokerId %q with brokerRole %s: a master's brokerId is 0", idText, role)
			return
		}
		if role == RoleSlave && id != b.brokerID() {
			invalid("brokerId %q: a slave's brokerId changes with a restart", idText)
			return
		}
	}
	current := b.role()
	switch {
	case role == current:
		reply(remoting.NewResponse(req, remoting.ResSuccess, "the broker is already "+string(role)))
	case current != RoleSlave:
		invalid("the broker is %s: a master becomes a slave, or changes its kind, by a restart with brokerRole=%s", current, role)
	default:
		b.promote(role, func(err error) {
			if err != nil {
				reply(remoting.NewResponse(req, remoting.ResSystemError, err.Error()))
				return
			}
			reply(remoting.NewResponse(req, remoting.ResSuccess, fmt.Sprintf("promoted to %s", role)))
		})
	}
}
