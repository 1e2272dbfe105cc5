// Package sim is Apogee's deterministic cluster simulator: name servers,
// brokers, producers and consumers — the production code, through the env
// seam — run in one goroutine from one seed, under injected faults, and
// their client histories are checked by package linearizability.
//
// # Determinism
//
// Everything happens in callbacks of one env.ManualClock: the in-memory
// network delivers bytes from clock timers, the in-memory file systems do
// their work inline, and the components schedule their own work with
// Clock.AfterFunc. Run fires the earliest timer, then the next, so a run's
// order of events is a function of the seed alone. Randomness comes from
// env.NewSeededRand: the simulator's own generator draws the parameters,
// the latencies, the workload's pacing and the faults, and every node gets
// a generator of its own split from the seed. The trace hash folds every
// fault and client-visible event with its virtual time; two runs of one
// seed must give the same hash.
//
// # A run
//
//  1. Parameters ("swarm") are drawn from the seed: the cluster's shape
//     (half the seeds give every broker name a master and a slave),
//     latencies, the flush mode, the master's role (ASYNC_MASTER or
//     SYNC_MASTER), fault weights and phase lengths.
//  2. Setup: name servers and brokers start on their own hosts (10.0.1.x;
//     masters 10.0.2.x, slaves 10.0.5.x), the topic is created on every
//     master and copied by its slave, consumers (10.0.4.x) and producers
//     (10.0.3.x) start.
//  3. Safety phase: producers send uniquely identified messages to queues
//     of their choosing, one attempt each; consumers pull their share of
//     the queues (queue i belongs to consumer i mod n) and commit offsets;
//     faults strike at random.
//  4. Liveness phase: every fault is healed and every node restarted,
//     producers stop, one write is sent to every broker name until one is
//     acknowledged, and the run continues until every queue is drained and
//     every slave has caught up, or the phase's time is up.
//  5. Checks: the histories (linearizability.Check), every broker's
//     ConsumeQueues against its CommitLog (store.CheckConsistency), every
//     slave's CommitLog against its master's, byte for byte, up to what
//     the master counts as acknowledged, stores that failed to recover,
//     broker names that took no write, and queues that did not drain.
//
// # Faults
//
//   - Broker process crash: the host's connections are reset, its file
//     system keeps the page cache (env.MemFS.CrashProcess), and the broker
//     restarts after a pause, recovering its store as after a crash.
//   - Broker machine crash: as above, but the file system keeps only what
//     was synced plus a random prefix of the rest, with a torn page when
//     the seed says so (env.MemFS.CrashMachine).
//   - Name server, consumer and producer crashes: connections reset, the
//     process restarts later with no memory.
//   - Partitions: both directions between two hosts held (TCP would
//     retransmit) until healed; asymmetric cuts hold one direction.
//   - Connection resets between two hosts: both ends see ECONNRESET,
//     clients reconnect (so a request may be sent again: duplicates).
//   - Clock jumps: a broker's or name server's clock steps by up to ±30 s;
//     its timers keep running on the shared clock, as monotonic timers do.
//   - Disk full, disk errors and slow disks on one broker machine.
//   - Promotion: while a pair's master is down, the operator promotes its
//     slave (UPDATE_BROKER_CONFIG brokerRole=<role>); the old master's
//     configuration then says SLAVE, and it rejoins as the new master's
//     slave, cutting what the new master never had. Only a slave holding
//     the last master's history is promoted.
//
// Every fault strikes masters and slaves alike.
//
// # What must hold
//
// Under SYNC_FLUSH every acknowledged send survives every fault; under
// ASYNC_FLUSH it survives everything but a machine crash, and the loss
// after one is reported, not failed. With pairs: a SYNC_MASTER's
// acknowledged send survives a promotion too (the slave held it), unless
// the promoted slave had lost it to a machine crash and not copied it
// again; a promotion under ASYNC_MASTER may lose an acknowledged tail,
// which is reported, not failed. A master restarted after a machine crash
// under ASYNC_FLUSH loses its unflushed tail whatever its slave held. A
// promotion is a loss window for the model (linearizability.Recorder
// Failover), a master's machine crash too (Crash), a slave's is not: it
// hands out no queue offset. A broker crash or a promotion loses the
// consumer offsets committed since the last persist or sync, as RocketMQ
// does: the simulator records it as a reset of the group's queues, and
// consumers then see redeliveries, never a loss.
//
// While a run goes on, a replication monitor checks after every event that
// no master counts a slave as acknowledging bytes it never sent it.
//
// Planted bugs (store.Config.PlantedBug, broker.HAConfig.PlantedBug, see
// Bugs) switch on a known mistake; the campaign tests prove the checkers
// catch each.
package sim
