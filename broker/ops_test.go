package broker_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/namesrv"
	"github.com/apogeemq/apogee/remoting"
	"github.com/apogeemq/apogee/store/configfile"
)

func heartbeatBody(clientID, group, model string, subs ...remoting.SubscriptionData) []byte {
	return remoting.EncodeHeartbeatData(&remoting.HeartbeatData{
		ClientID: clientID,
		ConsumerDataSet: []remoting.ConsumerData{{
			GroupName: group, ConsumeType: remoting.ConsumeTypeActively, MessageModel: model,
			ConsumeFromWhere: remoting.ConsumeFromFirstOffset, SubscriptionDataSet: subs,
		}},
	})
}

func TestHeartbeatRegistersConsumersAndOperatorsSeeThem(t *testing.T) {
	c := startCluster(t, nil)
	for i := 0; i < 3; i++ {
		resp := c.invoke(remoting.ReqSendMessage, sendHeader("Ops", 1, map[string]string{"TAGS": "TagA"}).ToExtFields(), []byte("m"))
		require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	}
	sub := remoting.SubscriptionData{Topic: "Ops", SubString: "TagA || TagB", TagsSet: []string{"TagA", "TagB"}, ExpressionType: "TAG", SubVersion: 1}
	resp := c.invoke(remoting.ReqHeartBeat, nil, heartbeatBody("10.0.0.1@1", "cg", remoting.MessageModelClustering, sub))
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)

	resp = c.invoke(remoting.ReqGetConsumerListByGroup, remoting.GetConsumerListByGroupRequestHeader{ConsumerGroup: "cg"}.ToExtFields(), nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	list, err := remoting.DecodeConsumerListBody(resp.Body)
	require.NoError(t, err)
	require.Equal(t, []string{"10.0.0.1@1"}, list.ConsumerIDList)

	// The retry topic of the group exists now.
	resp = c.invoke(remoting.ReqGetAllTopicConfig, nil, nil)
	require.Equal(t, remoting.ResSuccess, resp.Code)
	topics, err := configfile.ParseTopics(resp.Body)
	require.NoError(t, err)
	require.Contains(t, topics.Topics, "%RETRY%cg")
	require.Contains(t, topics.Topics, "Ops")

	// The heartbeat's subscription filters pulls that carry none.
	h := pullHeader("cg", "Ops", 1, 0, "")
	h.SysFlag = 0
	resp = c.invoke(remoting.ReqPullMessage, h.ToExtFields(), nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	require.Len(t, decodeRecords(t, resp.Body), 3)

	resp = c.invoke(remoting.ReqGetConsumerConnectionList, remoting.GetConsumerConnectionListRequestHeader{ConsumerGroup: "cg"}.ToExtFields(), nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	cc, err := remoting.DecodeConsumerConnection(resp.Body)
	require.NoError(t, err)
	require.Len(t, cc.ConnectionSet, 1)
	require.Equal(t, "10.0.0.1@1", cc.ConnectionSet[0].ClientID)
	require.Equal(t, "TagA || TagB", cc.SubscriptionTable["Ops"].SubString)

	resp = c.invoke(remoting.ReqUpdateConsumerOffset, remoting.UpdateConsumerOffsetRequestHeader{ConsumerGroup: "cg", Topic: "Ops", QueueID: 1, CommitOffset: 2}.ToExtFields(), nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	resp = c.invoke(remoting.ReqQueryConsumerOffset, remoting.QueryConsumerOffsetRequestHeader{ConsumerGroup: "cg", Topic: "Ops", QueueID: 1}.ToExtFields(), nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	require.Equal(t, "2", resp.ExtFields["offset"])
	resp = c.invoke(remoting.ReqQueryConsumerOffset, remoting.QueryConsumerOffsetRequestHeader{ConsumerGroup: "cg", Topic: "Ops", QueueID: 0}.ToExtFields(), nil)
	require.Equal(t, remoting.ResQueryNotFound, resp.Code, "no committed offset")

	resp = c.invoke(remoting.ReqGetConsumeStats, remoting.GetConsumeStatsRequestHeader{ConsumerGroup: "cg"}.ToExtFields(), nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	cs, err := remoting.DecodeConsumeStats(resp.Body)
	require.NoError(t, err)
	w := cs.OffsetTable[remoting.MessageQueue{Topic: "Ops", BrokerName: c.cfg.BrokerName, QueueID: 1}]
	require.Equal(t, int64(3), w.BrokerOffset)
	require.Equal(t, int64(2), w.ConsumerOffset)

	resp = c.invoke(remoting.ReqGetTopicStatsInfo, remoting.GetTopicStatsInfoRequestHeader{Topic: "Ops"}.ToExtFields(), nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	ts, err := remoting.DecodeTopicStatsTable(resp.Body)
	require.NoError(t, err)
	o := ts.OffsetTable[remoting.MessageQueue{Topic: "Ops", BrokerName: c.cfg.BrokerName, QueueID: 1}]
	require.Equal(t, int64(3), o.MaxOffset)
	require.NotZero(t, o.LastUpdateTimestamp)

	resp = c.invoke(remoting.ReqGetBrokerRuntimeInfo, nil, nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	var kv struct{ Table map[string]string }
	require.NoError(t, json.Unmarshal(resp.Body, &kv))
	require.Equal(t, "3", kv.Table["msgPutTotalTodayNow"])
	require.Equal(t, "3", kv.Table["msgGetTotalTodayNow"])

	resp = c.invoke(remoting.ReqGetBrokerConfig, nil, nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	require.Contains(t, string(resp.Body), "brokerName="+c.cfg.BrokerName+"\n")

	// The connection closing removes the consumer.
	c.cl.CloseConn(c.broker.Addr())
	require.Eventually(t, func() bool {
		r := c.invoke(remoting.ReqGetConsumerListByGroup, remoting.GetConsumerListByGroupRequestHeader{ConsumerGroup: "cg"}.ToExtFields(), nil)
		return r.Code == remoting.ResSystemError && strings.Contains(r.Remark, "no consumer")
	}, 5*time.Second, 10*time.Millisecond)

	// Offsets reach consumerOffset.json at Close.
	require.NoError(t, c.broker.Close())
	offs, _, err := configfile.LoadConsumerOffsets(c.e.FS, filepath.Join(c.cfg.Store.RootDir, "config", "consumerOffset.json"))
	require.NoError(t, err)
	require.Equal(t, int64(2), offs.QueueOffsets["Ops@cg"][1])
}

func TestTopicsAndGroupsAreCreatedAndDeleted(t *testing.T) {
	c := startCluster(t, func(cfg *broker.Config) { cfg.AutoCreateTopicEnable = false; cfg.AutoCreateSubscriptionGroup = false })
	resp := c.invoke(remoting.ReqSendMessage, sendHeader("Made", 0, nil).ToExtFields(), []byte("x"))
	require.Equal(t, remoting.ResTopicNotExist, resp.Code, "no auto-creation")

	create := remoting.CreateTopicRequestHeader{Topic: "Made", DefaultTopic: "TBW102", ReadQueueNums: 2, WriteQueueNums: 2, Perm: 6, TopicFilterType: "SINGLE_TAG"}
	resp = c.invoke(remoting.ReqUpdateAndCreateTopic, create.ToExtFields(), nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	resp = c.invoke(remoting.ReqSendMessage, sendHeader("Made", 1, nil).ToExtFields(), []byte("x"))
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)

	// The name server learns the topic at once.
	require.Eventually(t, func() bool {
		_, ok := c.ns.Registry().Route("Made")
		return ok
	}, 5*time.Second, 10*time.Millisecond)

	bad := create
	bad.Topic = "bad/name"
	resp = c.invoke(remoting.ReqUpdateAndCreateTopic, bad.ToExtFields(), nil)
	require.Equal(t, remoting.ResSystemError, resp.Code)
	bad = create
	bad.ReadQueueNums = 0
	resp = c.invoke(remoting.ReqUpdateAndCreateTopic, bad.ToExtFields(), nil)
	require.Equal(t, remoting.ResInvalidParameter, resp.Code)
	bad = create
	bad.Topic = "TBW102"
	resp = c.invoke(remoting.ReqUpdateAndCreateTopic, bad.ToExtFields(), nil)
	require.Equal(t, remoting.ResSystemError, resp.Code, "system topics are refused")

	// A pull from an unknown group is refused without auto-creation; after
	// the group is created it passes.
	resp = c.invoke(remoting.ReqPullMessage, pullHeader("g1", "Made", 1, 0, "*").ToExtFields(), nil)
	require.Equal(t, remoting.ResSubscriptionGroupNotExist, resp.Code, resp.Remark)
	resp = c.invoke(remoting.ReqUpdateAndCreateSubscriptionGroup, nil, []byte(`{"groupName":"g1","consumeEnable":true,"retryMaxTimes":16,"retryQueueNums":1}`))
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	resp = c.invoke(remoting.ReqPullMessage, pullHeader("g1", "Made", 1, 0, "*").ToExtFields(), nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	resp = c.invoke(remoting.ReqGetAllSubscriptionGroupConfig, nil, nil)
	require.Equal(t, remoting.ResSuccess, resp.Code)
	require.Contains(t, string(resp.Body), `"g1"`)
	resp = c.invoke(remoting.ReqDeleteSubscriptionGroup, remoting.DeleteSubscriptionGroupRequestHeader{GroupName: "g1"}.ToExtFields(), nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	resp = c.invoke(remoting.ReqPullMessage, pullHeader("g1", "Made", 1, 0, "*").ToExtFields(), nil)
	require.Equal(t, remoting.ResSubscriptionGroupNotExist, resp.Code, resp.Remark)

	resp = c.invoke(remoting.ReqDeleteTopicInBroker, remoting.DeleteTopicRequestHeader{Topic: "Made"}.ToExtFields(), nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	resp = c.invoke(remoting.ReqSendMessage, sendHeader("Made", 0, nil).ToExtFields(), []byte("x"))
	require.Equal(t, remoting.ResTopicNotExist, resp.Code)
	// As with RocketMQ, the name server keeps the route until an operator
	// deletes the topic there too (DELETE_TOPIC_IN_NAMESRV).

	// Topics survive a restart.
	resp = c.invoke(remoting.ReqUpdateAndCreateTopic, create.ToExtFields(), nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	c.restartBroker()
	resp = c.invoke(remoting.ReqSendMessage, sendHeader("Made", 1, nil).ToExtFields(), []byte("y"))
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
}

func TestBatchSendStoresEachMessageWithConsecutiveOffsets(t *testing.T) {
	c := startCluster(t, nil)
	var body []byte
	for i := 0; i < 5; i++ {
		props := commitlog.EncodeProperties(map[string]string{"KEYS": fmt.Sprintf("k%d", i), "TAGS": "T"})
		body = remoting.AppendBatchEntry(body, int32(i), []byte(fmt.Sprintf("body-%d", i)), props)
	}
	h := sendHeader("Batch", 2, nil)
	h.Batch = true
	resp := c.invoke(remoting.ReqSendBatchMessage, h.ToExtFieldsV2(), body)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	sh, err := remoting.DecodeSendMessageResponseHeader(resp.ExtFields)
	require.NoError(t, err)
	require.Equal(t, int32(2), sh.QueueID)
	require.Equal(t, int64(0), sh.QueueOffset)
	_, phys, err := commitlog.ParseOffsetMsgID(sh.MsgID)
	require.NoError(t, err)

	resp = c.invoke(remoting.ReqPullMessage, pullHeader("cg", "Batch", 2, 0, "*").ToExtFields(), nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	recs := decodeRecords(t, resp.Body)
	require.Len(t, recs, 5)
	require.Equal(t, phys, recs[0].PhysOffset)
	for i, r := range recs {
		require.Equal(t, int64(i), r.QueueOffset)
		require.Equal(t, int32(i), r.Flag)
		require.Equal(t, fmt.Sprintf("body-%d", i), string(r.Body))
		require.Equal(t, fmt.Sprintf("k%d", i), commitlog.ParseProperties(r.Properties)["KEYS"])
	}
}

func TestBrokerRegistersWithEveryNameServer(t *testing.T) {
	second := namesrv.New(env.Real(), namesrv.Config{ListenAddr: "127.0.0.1:0", Logger: quiet})
	require.NoError(t, second.Start())
	t.Cleanup(func() { second.Close() })
	c := startCluster(t, func(cfg *broker.Config) { cfg.NamesrvAddrs = append(cfg.NamesrvAddrs, second.Addr()) })
	resp := c.invoke(remoting.ReqSendMessage, sendHeader("Everywhere", 0, nil).ToExtFields(), []byte("x"))
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	for _, ns := range []*namesrv.NameServer{c.ns, second} {
		require.Eventually(t, func() bool {
			r, ok := ns.Registry().Route("Everywhere")
			return ok && len(r.BrokerDatas) == 1 && r.BrokerDatas[0].Addrs[0] == c.broker.Addr()
		}, 5*time.Second, 10*time.Millisecond)
	}
}
