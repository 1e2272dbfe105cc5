// Package namesrv is Apogee's name server: the route registry that brokers
// register with and clients ask for routes (RocketMQ's RouteInfoManager and
// KVConfigManager), and the request processors that serve it over the
// remoting transport (spec/remoting.md §3).
//
// # Parts
//
//   - Registry holds the route tables as pure state: no I/O, no goroutines,
//     time read from an env.Clock (registration) or passed in (the expiry
//     scan). It is safe for concurrent use behind one sync.RWMutex.
//   - KVConfig holds the namespace -> key -> value settings operators put
//     (PUT/GET/DELETE_KV_CONFIG); ORDER_TOPIC_CONFIG feeds orderTopicConf.
//   - NameServer binds both to a remoting server, answers the namesrv
//     request codes, schedules the expiry scan with Clock.AfterFunc every
//     Config.ScanInterval, and drops the brokers of a closed connection.
//
// # Requests served
//
//	100 PUT_KV_CONFIG        101 GET_KV_CONFIG         102 DELETE_KV_CONFIG
//	103 REGISTER_BROKER      104 UNREGISTER_BROKER     105 GET_ROUTEINFO_BY_TOPIC
//	106 GET_BROKER_CLUSTER_INFO                        205 WIPE_WRITE_PERM_OF_BROKER
//	206 GET_ALL_TOPIC_LIST_FROM_NAMESERVER             216 DELETE_TOPIC_IN_NAMESRV
//	219 GET_KVLIST_BY_NAMESPACE                        224 GET_TOPICS_BY_CLUSTER
//	322 QUERY_DATA_VERSION   327 ADD_WRITE_PERM_OF_BROKER
//	904 BROKER_HEARTBEAT
//
// Any other code gets REQUEST_CODE_NOT_SUPPORTED from the transport. A
// missing or unparsable header field gets SYSTEM_ERROR with the decoding
// error as remark, as RocketMQ answers a RemotingCommandException, and so do
// an undecodable REGISTER_BROKER body and a bodyCrc32 mismatch; header
// values RocketMQ would take but the registry refuses (an address with a
// ',') get INVALID_PARAMETER. An unknown topic gets TOPIC_NOT_EXIST with no
// body, a missing KV entry QUERY_NOT_FOUND. Replies use the request's header
// serialization (the transport's rule). As in RocketMQ, a REGISTER_BROKER
// reply carries the ORDER_TOPIC_CONFIG namespace as a KV list body, and
// ADD_WRITE_PERM_OF_BROKER sets the permission to read and write (6)
// rather than adding the write bit.
//
// # Tables
//
//	topic      -> brokerName -> QueueData{readQueueNums, writeQueueNums, perm, topicSysFlag}
//	brokerName -> BrokerData{cluster, brokerAddrs: brokerId -> "host:port"}
//	cluster    -> set of brokerNames
//	brokerAddr -> live broker {cluster, last registration, timeout,
//	              dataVersion, connection id, haServerAddr}
//
// Broker id 0 is the master; ids above 0 are slaves. Only a master's
// registration (or, from a 5.x broker that sends enableActingMaster, that of
// the slave with the smallest id while no master is registered) writes the
// topics' queue data, and only when it is the broker's first registration or
// its data version differs from the one last recorded for that address. A
// broker that has not registered for its heartbeat timeout (default 120 s,
// or the heartbeatTimeoutMillis it sent) is removed by the next expiry scan,
// as is every broker registered through a connection when it closes.
//
// An address is one broker process, so it appears under one broker name and
// one id: registering an address moves it, removing it from wherever it was
// registered before (RocketMQ does this within one broker name only and
// keeps the live table per (cluster, address); a broker restarted under a
// new name then lingered in the old one forever).
//
// # REGISTER_BROKER body
//
// The body is RocketMQ's RegisterBrokerBody in one of two encodings. The
// header's compressed=true selects the second; a body that starts with the
// zlib header byte 0x78 is also read as the second, because 5.x brokers with
// compressedRegister=true send it while leaving compressed=false (a JSON
// body always starts with '{' or whitespace).
//
// JSON (fastjson's output: compact, and integer map keys may be bare, as in
// {0:1}; the reader quotes such keys before parsing):
//
//	{"filterServerList":[...],                      ignored
//	 "topicConfigSerializeWrapper":{
//	   "dataVersion":{"counter":N,"stateVersion":N,"timestamp":ms},
//	   "topicConfigTable":{"<topic>":{"topicName":"<topic>","readQueueNums":N,
//	     "writeQueueNums":N,"perm":N,"topicSysFlag":N, ...}},
//	   ...}}                                        5.x mapping tables ignored
//
// A missing field takes Java's TopicConfig default (16 read and write
// queues, perm 6, topicSysFlag 0); a missing topicName takes the table key.
//
// Compressed: a zlib stream (RFC 1950, as java.util.zip.DeflaterOutputStream
// writes it) whose inflated bytes are, big-endian:
//
//	offset  size  field
//	0       4     int32 L1, length of the DataVersion JSON
//	4       L1    DataVersion JSON {"counter":N,"stateVersion":N,"timestamp":ms}
//	4+L1    4     int32 N, number of topic entries
//	...           N times: int32 L, then L bytes of TopicConfig.encode():
//	              "<topic> <readQueueNums> <writeQueueNums> <perm> <filterType>[ <attributes JSON>]"
//	...           int32 L, filter server list JSON (ignored)
//	...           5.x only: int32 count and count x (int32 L, L bytes of
//	              TopicQueueMappingInfo JSON) (ignored)
//
// The compressed form carries no topicSysFlag; it reads as 0, as in Java.
//
// bodyCrc32, when present and not 0, must equal RocketMQ's UtilAll.crc32 of
// the body as sent (before inflating): the IEEE CRC-32 with the top bit
// cleared (crc & 0x7FFFFFFF).
//
// Bounds: a body inflates to at most MaxRegisterBodyBytes, nests at most
// maxJSONDepth levels, and a queue count is at most MaxQueueNums. Anything
// else malformed is an error matching ErrBadRegisterBody; decoding never
// panics.
//
// # Route data (GET_ROUTEINFO_BY_TOPIC body)
//
// Compact JSON, keys in exactly this order, no whitespace anywhere (the
// official Go client cuts brokerAddrs apart by hand, spec §3.1):
//
//	{"orderTopicConf":"<conf>",                      only when ORDER_TOPIC_CONFIG has the topic
//	 "queueDatas":[{"brokerName":"b","readQueueNums":N,"writeQueueNums":N,"perm":N,"topicSysFlag":N}],
//	 "brokerDatas":[{"cluster":"c","brokerName":"b","brokerAddrs":{"0":"host:port","1":"host:port"}}],
//	 "filterServerTable":{}}
//
// queueDatas and brokerDatas are sorted by broker name, brokerAddrs by
// broker id; every broker entry has brokerAddrs, possibly {}. Other bodies:
//
//	GET_BROKER_CLUSTER_INFO  {"brokerAddrTable":{"b":BrokerData,...},"clusterAddrTable":{"c":["b",...]}}
//	topic lists              {"topicList":["t1","t2",...]}
//	KV list                  {"table":{"k":"v",...}}
//	DataVersion              {"counter":N,"stateVersion":N,"timestamp":ms}
//
// with map keys and list entries sorted, so equal tables give equal bytes.
//
// # Invariants
//
//   - Every queue datum names a broker present in the broker table: a
//     broker's queue data is removed with its last address.
//   - No topic is left without queue data; no broker entry without an
//     address; ids are unique within an entry.
//   - An address is in at most one broker entry, at one id, and it is there
//     exactly while it has a live record: the live table and the address
//     maps hold the same set of addresses.
//   - A broker name is in a cluster's set exactly while its entry exists
//     and one of its registrations named that cluster.
//
// Registry.checkInvariants verifies these in tests.
package namesrv
