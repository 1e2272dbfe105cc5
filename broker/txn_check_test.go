package broker

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/remoting"
)

// discardLine is the log line of a half message given up on.
const discardLine = "broker: transaction half message discarded without an end"

func TestTxnCheckWaitsForTheTimeoutThenAsks(t *testing.T) {
	r := newTxnRig(t, nil)
	h := r.sendHalf("pending", nil)

	r.round(5 * time.Second)
	require.Empty(t, r.checks(), "not asked before transactionTimeOut")
	hp, _ := r.progress()
	require.Equal(t, int64(0), hp, "the round stopped at the young half message")

	r.round(time.Second)
	checks := r.checks()
	require.Len(t, checks, 1)
	c := checks[0]
	halves := r.records(TransHalfTopic, 0)
	require.Len(t, halves, 2, "the half message was copied forward")
	cp := halves[1]
	require.Equal(t, cp.QueueOffset, c.header.TranStateTableOffset)
	require.Equal(t, cp.PhysOffset, c.header.CommitLogOffset)
	require.Equal(t, h.uniqKey, c.header.MsgID)
	require.Equal(t, h.uniqKey, c.header.TransactionID)
	require.Equal(t, commitlog.FormatOffsetMsgID(cp.StoreHost, cp.PhysOffset), c.header.OffsetMsgID)
	require.Equal(t, 1, checkTimes(t, cp))
	require.Equal(t, strconv.FormatInt(h.queueOffset, 10), prop(cp, commitlog.PropertyTransactionPreparedQueueOffset))
	require.Equal(t, halves[0].BornTimestampMs, cp.BornTimestampMs, "the copy keeps the born time")

	// The body is the copy as a pull returns it, in its real topic and queue.
	require.Equal(t, txnTopic, string(c.rec.Topic))
	require.Equal(t, int32(2), c.rec.QueueID)
	require.Equal(t, "pending", string(c.rec.Body))
	require.Equal(t, txnGroup, prop(c.rec, commitlog.PropertyProducerGroup), "the Go client needs PGROUP")
	require.Equal(t, cp.PhysOffset, c.rec.PhysOffset)
	require.Equal(t, cp.QueueOffset, c.rec.QueueOffset)

	hp, _ = r.progress()
	require.Equal(t, int64(1), hp, "the progress passed the original")

	// The producer answers commit: delivered once, never asked again.
	resp := r.answer(c, remoting.TransactionCommitType)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	require.Equal(t, []string{"pending"}, r.delivered())
	require.Equal(t, []string{"1,0"}, r.opBodies(), "the op record ends the copy and the first half message")
	for range 3 {
		r.round(time.Minute)
		require.Empty(t, r.checks())
	}
	hp, _ = r.progress()
	require.Equal(t, int64(2), hp)
	require.Len(t, r.records(TransHalfTopic, 0), 2, "nothing more was copied")
}

func TestTxnCheckSkipsEndedTransactions(t *testing.T) {
	r := newTxnRig(t, nil)
	a := r.sendHalf("a", nil)
	b := r.sendHalf("b", nil)
	r.sendHalf("c", nil)
	require.Equal(t, remoting.ResSuccess, r.end(a, remoting.TransactionCommitType, false).Code)
	require.Equal(t, remoting.ResSuccess, r.end(b, remoting.TransactionRollbackType, false).Code)

	r.round(time.Minute)
	checks := r.checks()
	require.Len(t, checks, 1)
	require.Equal(t, "c", string(checks[0].rec.Body))
	hp, op := r.progress()
	require.Equal(t, int64(3), hp)
	require.Equal(t, int64(0), op, "the ends are remembered, so the op queue is read from its start after a restart")
}

func TestTxnCheckDiscardsAfterCheckMax(t *testing.T) {
	r := newTxnRig(t, nil)
	r.sendHalf("forgotten", nil)
	asked := 0
	for round := 1; round <= 20; round++ {
		r.round(time.Minute)
		for _, c := range r.checks() {
			asked++
			require.Equal(t, strconv.Itoa(asked), prop(c.rec, commitlog.PropertyTransactionCheckTimes))
		}
		if round <= 15 {
			require.Equal(t, round, asked, "one check per round")
		}
	}
	require.Equal(t, 15, asked, "transactionCheckMax checks, then no more")
	require.Equal(t, 1, r.logs.count(discardLine), "the discard is logged once")
	require.Empty(t, r.delivered())
	halves := r.records(TransHalfTopic, 0)
	require.Len(t, halves, 16, "the original and one copy per check")
	hp, _ := r.progress()
	require.Equal(t, int64(16), hp, "the progress passed the discarded message")
}

func TestTxnCheckMaxIsConfigurable(t *testing.T) {
	r := newTxnRig(t, func(c *Config) { c.Transaction.CheckMax = 2 })
	r.sendHalf("m", nil)
	asked := 0
	for range 5 {
		r.round(time.Minute)
		asked += len(r.checks())
	}
	require.Equal(t, 2, asked)
	require.Equal(t, 1, r.logs.count(discardLine))
}

func TestTxnCheckWithoutAProducerStillCounts(t *testing.T) {
	r := newTxnRig(t, nil)
	r.sendHalf("orphan", nil)
	r.b.clients.removePeer(r.peer.ID())
	r.round(time.Minute)
	r.round(time.Minute)
	halves := r.records(TransHalfTopic, 0)
	require.Len(t, halves, 3)
	require.Equal(t, 2, checkTimes(t, halves[2]), "a check with nobody to ask counts, as in RocketMQ")

	// A producer that comes back is asked.
	r.b.clients.registerProducer(txnGroup, clientChannel{peer: r.peer, clientID: "producer-1", lastUpdate: r.clock.Now()})
	r.round(time.Minute)
	checks := r.checks()
	require.Len(t, checks, 1)
	require.Equal(t, "3", prop(checks[0].rec, commitlog.PropertyTransactionCheckTimes))
}

func TestTxnCheckImmunityDelaysTheFirstCheck(t *testing.T) {
	r := newTxnRig(t, nil)
	r.sendHalf("immune", map[string]string{commitlog.PropertyCheckImmunityTimeInSeconds: "30"})
	r.sendHalf("plain", nil)

	r.round(10 * time.Second)
	checks := r.checks()
	require.Len(t, checks, 1, "only the message without immunity is asked about")
	require.Equal(t, "plain", string(checks[0].rec.Body))
	halves := r.records(TransHalfTopic, 0)
	require.Len(t, halves, 4, "the immune one is copied forward unchanged, so it does not hold up the others")
	require.Equal(t, "immune", string(halves[2].Body))
	require.Equal(t, 0, checkTimes(t, halves[2]))
	require.Equal(t, "0", prop(halves[2], commitlog.PropertyTransactionPreparedQueueOffset))

	r.round(25 * time.Second)
	checks = r.checks()
	require.Len(t, checks, 2, "both asked once the immunity is over")
	require.Equal(t, "immune", string(checks[0].rec.Body))
	require.Equal(t, "1", prop(checks[0].rec, commitlog.PropertyTransactionCheckTimes))
	require.Equal(t, "0", prop(checks[0].rec, commitlog.PropertyTransactionPreparedQueueOffset))
}

func TestTxnCheckImmunityValues(t *testing.T) {
	cases := []struct {
		value  string
		want   time.Duration
		immune bool
	}{
		{"30", 30 * time.Second, true},
		{"0", 0, true},
		{"-5", 0, false},
		{"soon", 0, false},
		{"", 0, false},
		{"99999999999999", maxCheckImmunity, true},
	}
	for _, tc := range cases {
		props := commitlog.EncodeProperties(map[string]string{commitlog.PropertyCheckImmunityTimeInSeconds: tc.value})
		got, immune := checkImmunity(props)
		require.Equal(t, tc.want, got, "%q", tc.value)
		require.Equal(t, tc.immune, immune, "%q", tc.value)
	}
	_, immune := checkImmunity(nil)
	require.False(t, immune)
}

func TestTxnLateEndOfTheOriginalEndsTheCopies(t *testing.T) {
	r := newTxnRig(t, nil)
	h := r.sendHalf("raced", nil)
	r.round(time.Minute)
	first := r.checks()
	require.Len(t, first, 1)
	// The producer's own commit arrives after the check made a copy; then
	// its answer to the check.
	require.Equal(t, remoting.ResSuccess, r.end(h, remoting.TransactionCommitType, false).Code)
	require.Equal(t, remoting.ResSuccess, r.answer(first[0], remoting.TransactionCommitType).Code)
	require.Equal(t, []string{"raced"}, r.delivered())
	r.round(time.Minute)
	require.Empty(t, r.checks(), "the copy belongs to an ended transaction")

	// An answer to an old check that arrives after a newer copy was made
	// ends the newer copy too.
	h2 := r.sendHalf("slow", nil)
	r.round(time.Minute)
	old := r.checks()
	require.Len(t, old, 1)
	r.round(time.Minute)
	require.Len(t, r.checks(), 1, "asked again")
	require.Equal(t, remoting.ResSuccess, r.answer(old[0], remoting.TransactionRollbackType).Code)
	r.round(time.Minute)
	require.Empty(t, r.checks())
	require.Equal(t, remoting.ResSuccess, r.end(h2, remoting.TransactionCommitType, false).Code)
	require.Equal(t, []string{"raced"}, r.delivered(), "the rolled-back transaction stays rolled back")
}

func TestTxnCheckProgressSurvivesARestart(t *testing.T) {
	r := newTxnRig(t, nil)
	done := r.sendHalf("done", nil)
	r.sendHalf("open", nil)
	require.Equal(t, remoting.ResSuccess, r.end(done, remoting.TransactionCommitType, false).Code)
	r.round(time.Minute)
	require.Len(t, r.checks(), 1)
	hp, _ := r.progress()
	require.Equal(t, int64(2), hp)

	r.reopen()
	r.clock.Advance(time.Minute)
	r.b.checkTransactions()
	checks := r.checks()
	require.Len(t, checks, 1, "only the copy of the open transaction is asked about")
	require.Equal(t, "open", string(checks[0].rec.Body))
	require.Equal(t, "2", prop(checks[0].rec, commitlog.PropertyTransactionCheckTimes))
}

// A round examines the half queue up to the end it had when it began: the
// copies it makes wait for the next round.
func TestTxnCheckRoundStopsAtItsStartingEnd(t *testing.T) {
	r := newTxnRig(t, nil)
	const n = 40
	for i := range n {
		r.sendHalf("m"+strconv.Itoa(i), nil)
	}
	r.round(time.Minute)
	require.Len(t, r.checks(), n)
	require.Len(t, r.records(TransHalfTopic, 0), 2*n)
	hp, _ := r.progress()
	require.Equal(t, int64(n), hp)
}

func TestTxnSlaveDoesNotCheck(t *testing.T) {
	r := newTxnRig(t, nil)
	r.sendHalf("m", nil)
	r.b.cfg.Role = RoleSlave
	r.round(time.Minute)
	require.Empty(t, r.checks())
	r.b.cfg.Role = RoleAsyncMaster
	r.round(time.Minute)
	require.Len(t, r.checks(), 1)
}

func TestTxnCheckWithoutHalfMessagesRecordsNothing(t *testing.T) {
	r := newTxnRig(t, nil)
	r.round(time.Minute)
	_, ok := r.b.offsets.query(TransCheckGroup, TransHalfTopic, 0)
	require.False(t, ok, "a broker without transactions keeps consumerOffset.json as it is")
}
