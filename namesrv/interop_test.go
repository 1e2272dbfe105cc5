package namesrv_test

import (
	"context"
	"log/slog"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/namesrv"
	"github.com/apogeemq/apogee/remoting"
)

// standInBroker is a remoting server at a broker's address that answers
// sends and heartbeats, so a producer's route lookup can be seen reaching
// the address the name server handed out.
func standInBroker(t *testing.T, e env.Env, sends *atomic.Int32) *remoting.Server {
	t.Helper()
	srv := remoting.NewServer(e, remoting.ServerConfig{ListenAddr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)})
	srv.Handle(remoting.ReqSendMessage, func(p remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
		n := sends.Add(1)
		resp := remoting.NewResponse(req, remoting.ResSuccess, "")
		resp.ExtFields = map[string]string{
			"msgId":       commitlog.FormatOffsetMsgID(mustAddrPort(t, srv.Addr()), int64(n)*100),
			"queueId":     req.ExtFields["queueId"],
			"queueOffset": "0",
		}
		reply(resp)
	})
	srv.HandleDefault(func(p remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
		reply(remoting.NewResponse(req, remoting.ResSuccess, ""))
	})
	require.NoError(t, srv.Start())
	t.Cleanup(func() { srv.Close() })
	return srv
}

func TestOfficialGoClientResolvesRoutesFromOurNameServer(t *testing.T) {
	rlog.SetLogLevel("error")
	// Virtual time for the name server (expiry is driven by it), real TCP
	// for everyone: the official client runs unmodified.
	clock := env.NewManualClock(time.Unix(1_700_000_000, 0))
	e := env.Env{Clock: clock, Rand: env.NewSeededRand(1), Net: &env.TCPNetwork{}}
	ns := namesrv.New(e, namesrv.Config{ListenAddr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, ns.Start())
	defer ns.Close()

	var sends atomic.Int32
	broker := standInBroker(t, e, &sends)

	// A broker registration made through our remoting client.
	body := namesrv.AppendRegisterBodyJSON(nil, &namesrv.RegisterBody{
		DataVersion: namesrv.DataVersion{Counter: 1, TimestampMs: 1_700_000_000_000},
		Topics: []namesrv.TopicConfig{
			{TopicName: "InteropOrders", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6},
			{TopicName: "InteropPayments", ReadQueueNums: 2, WriteQueueNums: 2, Perm: 6},
		},
	})
	header := remoting.RegisterBrokerRequestHeader{
		BrokerName: "broker-a", BrokerAddr: broker.Addr(), ClusterName: "DefaultCluster",
		HAServerAddr: "127.0.0.1:10912", BrokerID: 0, BodyCRC32: namesrv.BodyCRC32(body),
	}
	client := remoting.NewClient(e, remoting.ClientConfig{Logger: slog.New(slog.DiscardHandler)})
	defer client.Close()
	resp, err := client.InvokeSync(ns.Addr(), remoting.NewRequest(remoting.ReqRegisterBroker, header.ToExtFields(), body), 10*time.Second)
	require.NoError(t, err)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// The official admin lists the registered topics.
	adm, err := admin.NewAdmin(admin.WithResolver(primitive.NewPassthroughResolver([]string{ns.Addr()})))
	require.NoError(t, err)
	defer adm.Close()
	list, err := adm.FetchAllTopicList(ctx)
	require.NoError(t, err)
	require.Contains(t, list.TopicList, "InteropOrders")
	require.Contains(t, list.TopicList, "InteropPayments")

	// The official producer looks the route up and sends to the broker
	// address it found there.
	p, err := rocketmq.NewProducer(
		producer.WithNsResolver(primitive.NewPassthroughResolver([]string{ns.Addr()})),
		producer.WithGroupName("interop-producer"),
		producer.WithRetry(0),
	)
	require.NoError(t, err)
	require.NoError(t, p.Start())
	res, err := p.SendSync(ctx, primitive.NewMessage("InteropOrders", []byte("hello")))
	require.NoError(t, err)
	require.Equal(t, primitive.SendOK, res.Status)
	require.Equal(t, "broker-a", res.MessageQueue.BrokerName)
	require.Less(t, res.MessageQueue.QueueId, 4)
	require.EqualValues(t, 1, sends.Load(), "the send reached the address the route named")
	require.NoError(t, p.Shutdown())

	// Without a new registration the broker expires once 120 s of virtual
	// time have passed, at the next 5 s scan, and its topics go with it.
	clock.Advance(119 * time.Second)
	list, err = adm.FetchAllTopicList(ctx)
	require.NoError(t, err)
	require.Contains(t, list.TopicList, "InteropOrders", "still registered before the expiry")
	clock.Advance(11 * time.Second)
	list, err = adm.FetchAllTopicList(ctx)
	require.NoError(t, err)
	require.NotContains(t, list.TopicList, "InteropOrders")
	require.NotContains(t, list.TopicList, "InteropPayments")
}

func mustAddrPort(t *testing.T, addr string) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(addr)
	require.NoError(t, err)
	return ap
}
