// Package client is Apogee's own RocketMQ client: a Producer, a low-level
// PullConsumer and an Admin, speaking the remoting protocol of
// spec/remoting.md to any RocketMQ 4.x/5.x name server and broker, ours
// included.
//
// # The seam
//
// The package runs on env.Env like the servers: it never starts a
// goroutine, never reads the wall clock or sets a timer through package
// time, and never touches package net or os. Periodic work (route refresh,
// heartbeats) is scheduled with Clock.AfterFunc; randomness (the first
// queue a topic is sent to, the parts of the message id and client id that
// stand for a process id) comes from env.Rand; every request goes through a
// remoting.Client over env.Network. Under the simulator's clock, network and
// seed, a client therefore behaves the same way on every run.
//
// # Two forms of every operation
//
// Every operation has a callback form (SendAsync, PullAsync,
// QueryOffsetAsync, CreateTopicAsync, ...) and a blocking form (Send, Pull,
// QueryOffset, CreateTopic, ...):
//
//   - The callback form is the real API. It never blocks and never calls
//     its callback from inside the call: the callback runs later, exactly
//     once, from a Clock.AfterFunc callback or a remoting callback, on
//     whatever goroutine the env uses (one goroutine in the simulator, many
//     with env.Real). Callbacks must not block.
//   - The blocking form starts the callback form and waits on an
//     env.Latch for its callback, like remoting.Client.InvokeSync (the
//     latch wakes the caller without waking another thread; see env). It
//     is for tests, tools and benchmarks only: never use it in the
//     simulator, where nothing moves while a goroutine waits, nor inside a
//     callback of this package or of remoting, which would wait for itself.
//
// Every callback is bounded in time: each request carries a timeout of the
// transport, so a callback always comes, at the latest with an error
// wrapping remoting.ErrTimeout.
//
// # Routes
//
// A client asks the name servers (GET_ROUTEINFO_BY_TOPIC), trying each once
// per lookup from a rotating start while they fail at the transport, and
// caches the answer per topic. The cache is refreshed every
// RouteRefreshInterval (30 s); a failed refresh keeps the old route, as
// RocketMQ clients do. Producer queues are the writable queues of the brokers
// that have a master (id 0): writeQueueNums per broker, ids 0..n-1, brokers
// in name order, or the "name:count" pairs of orderTopicConf when it is
// set. Consumer queues are the readable ones (readQueueNums). A producer
// sending to a topic the name servers do not know publishes on the route of
// TBW102 (DefaultTopic) with each broker's queue count capped at
// DefaultTopicQueueNums (spec §4.1); the broker creates the topic on that
// first send.
//
// # Sending
//
// A send takes at most MaxAttempts attempts within one SendTimeout. The
// first queue is chosen round-robin from a random start per topic (or by
// the configured Selector); a transport error or the codes SYSTEM_ERROR (1),
// SERVICE_NOT_AVAILABLE (14), NO_PERMISSION (16) and TOPIC_NOT_EXIST (17)
// move the send to a queue of a broker that has not failed it, when there
// is one (spec §2). FLUSH_DISK_TIMEOUT (10), SLAVE_NOT_AVAILABLE (11) and
// FLUSH_SLAVE_TIMEOUT (12) are successes with that SendStatus; any other
// code fails at once with a *BrokerError. A send to one given queue
// (SendToQueueAsync) makes one attempt.
//
// Bodies of at least CompressOverBytes (4096) are sent zlib-compressed at
// level 5 with sysFlag bit 0, as the official clients do; batches are never
// compressed. The uncompressed body is checked against MaxMessageBytes
// before anything is sent.
//
// # Message id (UNIQ_KEY)
//
// Every message (each message of a batch too) gets the UNIQ_KEY property,
// unless it already has one, laid out as RocketMQ's MessageClientIDSetter
// and written as 32 uppercase hex digits:
//
//	off  size  field
//	  0     4  client IPv4 address (ProducerConfig.ClientIP; the low 4
//	           bytes of an IPv6 address)
//	  4     2  process id stand-in, drawn from env.Rand at NewProducer
//	  6     4  instance stand-in (Java's class loader hash), from env.Rand
//	 10     4  milliseconds since the start of the current month (UTC),
//	           from env.Clock, unsigned
//	 14     2  counter, +1 per id, wrapping
//
// The first 10 bytes are fixed per Producer. Two ids of one Producer differ
// unless 65,536 ids fall into one millisecond or the clock goes back.
//
// # Pull body
//
// A PULL_MESSAGE answer's body is a concatenation of CommitLog records
// (the layout is in package commitlog and spec/remoting.md §5.4). Each is
// read with commitlog.Decode, which checks every length against the bytes
// that remain and against the record's TOTALSIZE; the body CRC is not
// checked. A compressed body (sysFlag bit 0) is inflated into at most
// MaxInflateFactor × MaxMessageBytes bytes. Anything else — a truncated
// record, a blank record, a bad magic, a body that does not inflate or
// inflates beyond the bound — fails the whole pull with an error wrapping
// ErrBadPullBody; decoding never panics. When the expression names tags,
// messages whose TAGS property is not among them are dropped, as the broker
// filters only by tag hash code.
//
// # Bounds
//
//   - A route yields at most MaxRouteQueues queues; a bigger one is refused.
//   - At most MaxRouteWaiters calls wait for one topic's route lookup.
//   - maxNums of a pull is within [1, MaxPullNums].
//   - Inflated bodies are bounded as above; everything else is bounded by
//     the transport's frame limit (remoting.DefaultMaxFrameBytes).
//
// # Invariants
//
//   - Every callback runs exactly once, never inside the call that took it.
//   - A send never goes to a broker that failed it while another broker of
//     the route has not.
//   - Nothing is sent before Start or after Close; calls made then fail with
//     ErrNotStarted or ErrClosed through their callback.
//   - Map iteration order never reaches the wire: properties, route entries
//     and heartbeat targets are sorted.
//
// # Concurrency
//
// Producer, PullConsumer and Admin are safe for concurrent use. Their state
// is guarded by a mutex that is never held while a callback runs.
package client
