package broker

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/remoting"
	"github.com/apogeemq/apogee/store"
)

func TestTxnHalfMessageIsParked(t *testing.T) {
	r := newTxnRig(t, nil)
	h := r.sendHalf("hidden", map[string]string{
		commitlog.PropertyTransactionPreparedQueueOffset: "0",
		commitlog.PropertyTransactionCheckTimes:          "14",
	})
	require.Empty(t, r.delivered(), "a half message is not in its topic")
	halves := r.records(TransHalfTopic, 0)
	require.Len(t, halves, 1)
	rec := halves[0]
	require.Equal(t, h.physOffset, rec.PhysOffset)
	require.Equal(t, h.queueOffset, rec.QueueOffset)
	require.Equal(t, commitlog.SysFlagTransactionNone, rec.TransactionType())
	require.Equal(t, txnTopic, prop(rec, commitlog.PropertyRealTopic))
	require.Equal(t, "2", prop(rec, commitlog.PropertyRealQueueID))
	require.Equal(t, h.uniqKey, prop(rec, commitlog.PropertyTransactionID))
	for _, gone := range []string{commitlog.PropertyTransactionPreparedQueueOffset, commitlog.PropertyTransactionCheckTimes} {
		_, ok := commitlog.PropertyValue(rec.Properties, gone)
		require.False(t, ok, "the producer's %s is dropped", gone)
	}
}

func TestTxnCommitWritesTheRealMessageAndAnOpRecord(t *testing.T) {
	r := newTxnRig(t, nil)
	r.sendHalf("first", nil)
	h := r.sendHalf("second", nil)
	resp := r.end(h, remoting.TransactionCommitType, false)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)

	real := r.records(txnTopic, 2)
	require.Len(t, real, 1)
	rec := real[0]
	require.Equal(t, "second", string(rec.Body))
	require.Equal(t, commitlog.SysFlagTransactionCommit, rec.TransactionType())
	require.Equal(t, h.physOffset, rec.PreparedTransactionOffset)
	require.Equal(t, int64(0), rec.QueueOffset)
	for _, gone := range []string{commitlog.PropertyRealTopic, commitlog.PropertyRealQueueID, commitlog.PropertyTransactionPrepared} {
		_, ok := commitlog.PropertyValue(rec.Properties, gone)
		require.False(t, ok, "%s is removed", gone)
	}
	for name, want := range map[string]string{
		commitlog.PropertyUniqKey:       h.uniqKey,
		commitlog.PropertyProducerGroup: txnGroup,
		commitlog.PropertyTags:          "tx",
		commitlog.PropertyTransactionID: h.uniqKey,
	} {
		require.Equal(t, want, prop(rec, name), name)
	}

	ops := r.records(TransOpHalfTopic, 0)
	require.Len(t, ops, 1)
	require.Equal(t, "1", string(ops[0].Body), "the op record names the half queue offset")
	require.Equal(t, opRemoveTag, prop(ops[0], commitlog.PropertyTags))
	require.Equal(t, "false", prop(ops[0], commitlog.PropertyWait))
}

func TestTxnRollbackWritesOnlyAnOpRecord(t *testing.T) {
	r := newTxnRig(t, nil)
	h := r.sendHalf("undone", nil)
	resp := r.end(h, remoting.TransactionRollbackType, false)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	require.Empty(t, r.delivered())
	require.Equal(t, []string{"0"}, r.opBodies())
}

func TestTxnEndIsAppliedOnce(t *testing.T) {
	cases := []struct {
		name   string
		states []int32
		want   []string
	}{
		{"commit twice", []int32{remoting.TransactionCommitType, remoting.TransactionCommitType}, []string{"m"}},
		{"commit then rollback", []int32{remoting.TransactionCommitType, remoting.TransactionRollbackType}, []string{"m"}},
		{"rollback then commit", []int32{remoting.TransactionRollbackType, remoting.TransactionCommitType}, nil},
		{"rollback twice", []int32{remoting.TransactionRollbackType, remoting.TransactionRollbackType}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newTxnRig(t, nil)
			h := r.sendHalf("m", nil)
			for _, s := range tc.states {
				resp := r.end(h, s, false)
				require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
			}
			require.Equal(t, tc.want, r.delivered())
			require.Len(t, r.opBodies(), 1, "one op record")
		})
	}
}

func TestTxnUnknownStateLeavesTheHalfMessage(t *testing.T) {
	r := newTxnRig(t, nil)
	h := r.sendHalf("later", nil)
	resp := r.end(h, remoting.TransactionNotType, false)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	require.Empty(t, r.delivered())
	require.Empty(t, r.opBodies())
	// It can still be committed.
	resp = r.end(h, remoting.TransactionCommitType, false)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	require.Equal(t, []string{"later"}, r.delivered())
}

func TestTxnEndChecksWhatItEnds(t *testing.T) {
	r := newTxnRig(t, nil)
	h := r.sendHalf("guarded", nil)
	// An ordinary message, whose offset an END may name.
	plain := remoting.SendMessageRequestHeader{ProducerGroup: txnGroup, Topic: txnTopic, DefaultTopic: DefaultTopic,
		QueueID: 2, Properties: string(commitlog.EncodeProperties(map[string]string{
			commitlog.PropertyProducerGroup: txnGroup, commitlog.PropertyRealTopic: txnTopic, commitlog.PropertyRealQueueID: "2",
		})), MaxReconsumeTimes: remoting.MaxReconsumeTimesUnset}
	resp := r.call(r.b.send, remoting.NewRequest(remoting.ReqSendMessage, plain.ToExtFields(), []byte("plain")))
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	sh, err := remoting.DecodeSendMessageResponseHeader(resp.ExtFields)
	require.NoError(t, err)
	_, plainPhys, err := commitlog.ParseOffsetMsgID(sh.MsgID)
	require.NoError(t, err)

	cases := []struct {
		name   string
		mutate func(*remoting.EndTransactionRequestHeader)
		remark string
	}{
		{"another producer group", func(e *remoting.EndTransactionRequestHeader) { e.ProducerGroup = "other" }, "producer group wrong"},
		{"another queue offset", func(e *remoting.EndTransactionRequestHeader) { e.TranStateTableOffset++ }, "state table offset wrong"},
		{"an ordinary message", func(e *remoting.EndTransactionRequestHeader) {
			e.CommitLogOffset, e.TranStateTableOffset = plainPhys, 0
		}, "not a transactional half message"},
		{"inside a record", func(e *remoting.EndTransactionRequestHeader) { e.CommitLogOffset += 4 }, "find prepared transaction message failed"},
		{"past the log", func(e *remoting.EndTransactionRequestHeader) { e.CommitLogOffset = 1 << 40 }, "find prepared transaction message failed"},
		{"negative", func(e *remoting.EndTransactionRequestHeader) { e.CommitLogOffset = -1 }, "find prepared transaction message failed"},
		{"an unknown state", func(e *remoting.EndTransactionRequestHeader) { e.CommitOrRollback = 4 }, "unknown commitOrRollback"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eh := remoting.EndTransactionRequestHeader{ProducerGroup: txnGroup, TranStateTableOffset: h.queueOffset,
				CommitLogOffset: h.physOffset, CommitOrRollback: remoting.TransactionCommitType, MsgID: h.uniqKey}
			tc.mutate(&eh)
			resp := r.call(r.b.endTransaction, remoting.NewRequest(remoting.ReqEndTransaction, eh.ToExtFields(), nil))
			require.Equal(t, remoting.ResSystemError, resp.Code)
			require.Contains(t, resp.Remark, tc.remark)
		})
	}
	require.Equal(t, []string{"plain"}, r.delivered(), "nothing was committed")
	require.Empty(t, r.opBodies())

	resp = r.call(r.b.endTransaction, remoting.NewRequest(remoting.ReqEndTransaction, map[string]string{"producerGroup": txnGroup}, nil))
	require.Equal(t, remoting.ResSystemError, resp.Code, "a header without its required fields")
}

func TestTxnSlaveDoesNotEndTransactions(t *testing.T) {
	r := newTxnRig(t, nil)
	h := r.sendHalf("m", nil)
	r.b.cfg.Role = RoleSlave
	resp := r.end(h, remoting.TransactionCommitType, false)
	require.Equal(t, remoting.ResSlaveNotAvailable, resp.Code)
	r.b.cfg.Role = RoleAsyncMaster
	require.Empty(t, r.delivered())
}

func TestTxnCommitOfADelayedMessageIsDelayed(t *testing.T) {
	r := newTxnRig(t, nil)
	h := r.sendHalf("later", map[string]string{commitlog.PropertyDelayLevel: "2"})
	resp := r.end(h, remoting.TransactionCommitType, false)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	require.Empty(t, r.delivered(), "not in its topic before its delay")
	parked := r.records(store.ScheduleTopic, 1)
	require.Len(t, parked, 1)
	require.Equal(t, "later", string(parked[0].Body))
	require.Equal(t, txnTopic, prop(parked[0], commitlog.PropertyRealTopic))
	require.Equal(t, "2", prop(parked[0], commitlog.PropertyRealQueueID))
	require.Equal(t, commitlog.SysFlagTransactionCommit, parked[0].TransactionType())
}

func TestTxnEndsSurviveARestart(t *testing.T) {
	r := newTxnRig(t, nil)
	committed := r.sendHalf("committed", nil)
	rolledBack := r.sendHalf("rolled-back", nil)
	open := r.sendHalf("open", nil)
	require.Equal(t, remoting.ResSuccess, r.end(committed, remoting.TransactionCommitType, false).Code)
	require.Equal(t, remoting.ResSuccess, r.end(rolledBack, remoting.TransactionRollbackType, false).Code)

	r.reopen()
	for _, h := range []half{committed, rolledBack} {
		for _, s := range []int32{remoting.TransactionCommitType, remoting.TransactionRollbackType} {
			require.Equal(t, remoting.ResSuccess, r.end(h, s, false).Code)
		}
	}
	require.Equal(t, []string{"committed"}, r.delivered(), "ends from before the restart are not applied again")
	require.Len(t, r.opBodies(), 2)
	require.Equal(t, remoting.ResSuccess, r.end(open, remoting.TransactionCommitType, false).Code)
	require.Equal(t, []string{"committed", "open"}, r.delivered())
}

func TestTxnBatchCannotBeTransactional(t *testing.T) {
	r := newTxnRig(t, nil)
	body := remoting.AppendBatchEntry(nil, 0, []byte("a"), commitlog.EncodeProperties(map[string]string{commitlog.PropertyUniqKey: "U1"}))
	body = remoting.AppendBatchEntry(body, 0, []byte("b"), commitlog.EncodeProperties(map[string]string{commitlog.PropertyUniqKey: "U2"}))
	h := remoting.SendMessageRequestHeader{ProducerGroup: txnGroup, Topic: txnTopic, DefaultTopic: DefaultTopic,
		DefaultTopicQueueNums: 4, QueueID: 2, SysFlag: commitlog.SysFlagTransactionPrepared, Batch: true,
		MaxReconsumeTimes: remoting.MaxReconsumeTimesUnset}
	resp := r.call(r.b.send, remoting.NewRequest(remoting.ReqSendBatchMessage, h.ToExtFieldsV2(), body))
	require.Equal(t, remoting.ResMessageIllegal, resp.Code)
	require.Zero(t, r.b.store.CommitLogMaxOffset(), "nothing is written")
}
