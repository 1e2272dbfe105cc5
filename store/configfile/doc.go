// Package configfile reads and writes RocketMQ's JSON metadata files under
// <storeRoot>/config/ (spec/store.md §10) and persists them atomically over
// env.FS, so that Apogee and a Java broker can take over each other's store
// directory.
//
// # Documents
//
// Four documents, each a JSON object at the top level. Field names are exact
// (case-sensitive); the Go types mirror the Java classes.
//
//	topics.json             TopicConfigTable
//	  dataVersion           DataVersion {counter, stateVersion, timestamp}
//	  topicConfigTable      {"<topic>": TopicConfig}
//	    TopicConfig         attributes {string:string}, order bool, perm int32,
//	                        readQueueNums int32, topicFilterType "SINGLE_TAG" |
//	                        "MULTI_TAG", topicName string, topicSysFlag int32,
//	                        writeQueueNums int32
//	consumerOffset.json     ConsumerOffsetTable
//	  dataVersion           optional (absent in files written by 4.x)
//	  offsetTable           {"<topic>@<group>": {<queueId>: <next queue offset>}}
//	subscriptionGroup.json  SubscriptionGroupTable
//	  dataVersion           DataVersion
//	  forbiddenTable        {"<group>": {"<topic>": <forbidden perm bits>}}
//	  subscriptionGroupTable {"<group>": SubscriptionGroupConfig}
//	    SubscriptionGroupConfig brokerId int64, consumeBroadcastEnable bool,
//	                        consumeEnable bool, consumeFromMinEnable bool,
//	                        consumeMessageOrderly bool, consumeTimeoutMinute
//	                        int32, groupName string, groupSysFlag int32,
//	                        notifyConsumerIdsChangedEnable bool, retryMaxTimes
//	                        int32, retryQueueNums int32,
//	                        whichBrokerWhenConsumeSlowly int64
//	delayOffset.json        DelayOffsetTable
//	  dataVersion           optional (absent in files written by 4.x)
//	  offsetTable           {<delay level 1..18>: <next queue offset of queue level-1>}
//
// DataVersion.timestamp is milliseconds since the Unix epoch. A field missing
// from a TopicConfig or a SubscriptionGroupConfig takes RocketMQ's default
// (NewTopicConfig, NewSubscriptionGroupConfig). Unknown fields of a
// TopicConfig or a SubscriptionGroupConfig (5.x adds groupRetryPolicy,
// subscriptionDataSet and attributes to a group) are kept, compacted, in Extra
// and written back; unknown top-level fields (5.x writes the derived
// groupTopicMap into consumerOffset.json) are dropped, as Java ignores them
// on reading too. The codec checks syntax and types; range checks on values
// (queue counts, perm bits) belong to the components that use them.
//
// # Syntax read
//
// RocketMQ writes these files with fastjson, which is not strict JSON: an
// integer map key is written without quotes ({0:250,1:248}). The reader
// accepts strict JSON (RFC 8259) extended with exactly that: an object key
// may be a bare integer, -?[0-9]+, which reads as the decimal string of its
// digits. A pre-pass that knows string literals and escapes quotes such keys;
// encoding/json then parses the result. Anything else (bare identifiers,
// single quotes, comments, trailing commas) is a syntax error.
//
// Bounds: a document is at most MaxDocumentBytes long and nests objects and
// arrays at most MaxNestingDepth deep. Input beyond either bound, malformed
// input and values of the wrong type or out of range return errors matching
// ErrTooLarge, ErrTooDeep, ErrSyntax or ErrSchema; parsing never panics and
// runs in time linear in the input.
//
// # Syntax written
//
// The writer reproduces fastjson's PrettyFormat output byte for byte, so a
// Java broker reads our files and a diff against its own shows no noise:
//
//   - fields of an object and keys of a string-keyed map in ascending Java
//     String order (UTF-16 code units), integer keys in numeric order;
//   - an object or a string-keyed map with entries opens with "{", puts each
//     entry on its own line indented one tab deeper than the line holding
//     the "{", as "key":value with no spaces, separated by ",", and closes
//     with "}" on a new line at the opening line's indentation;
//   - an integer-keyed map keeps its entries on one line, keys unquoted
//     ({0:250,1:248), and closes with "}" on a new line at the indentation of
//     the line holding the "{" (fastjson's quirk);
//   - an empty map is {}; strings are escaped by encoding/json without HTML
//     escaping; no newline follows the final "}".
//
// For example, consumerOffset.json with one group:
//
//	{
//		"dataVersion":{
//			"counter":3,
//			"stateVersion":0,
//			"timestamp":1700000000000
//		},
//		"offsetTable":{
//			"TopicTest@group":{0:250,1:248
//			}
//		}
//	}
//
// # Atomic persistence
//
// Store(fs, path, data) replaces the document at path as follows:
//
//  1. write data to path.tmp (created or truncated), Sync it, close it;
//  2. if path exists and is not empty, rename path -> path.bak (replacing
//     the older backup);
//  3. rename path.tmp -> path;
//  4. SyncDir the directory.
//
// A failure in step 1 or 2 leaves path and path.bak untouched. If step 3
// fails after step 2 moved path away, Store renames path.bak back to path
// (the older backup is then gone). A failure in step 4 leaves the new
// version in place but perhaps not durable; Store reports it.
//
// Load(fs, path, parse) returns path if it is present, non-empty and parses;
// otherwise path.bak if that is present, non-empty and parses; and reports
// which one it used (SourcePrimary, SourceBackup). Both missing or empty is
// SourceNone with no error: the caller starts from an empty document, as
// RocketMQ does. A copy that is present but does not parse, while the other
// one gives no usable data, is ErrNoValidCopy. An I/O error other than "not
// found" is returned as it is, without falling back, so that a flaky disk
// never silently rolls metadata back to the older copy. When Load falls back
// because path is corrupt (not merely missing or empty), it renames path to
// path.corrupt, keeping the evidence and restoring the invariant below.
// path.tmp is never read: it may be incomplete.
//
// # Invariants
//
//   - Store only ever creates path by renaming a path.tmp whose content was
//     synced first, so a path it wrote is a complete document. (A Java
//     broker, which writes in place, may leave a partial one after a
//     crash; Load then falls back.)
//   - At every instant of a Store, and after a crash at any point of it
//     (whichever unsynced directory changes survive), path or path.bak holds
//     a complete, good version: the new one or the previous one. This relies
//     on path being good, empty or missing when Store starts, which the
//     first invariant and Load's moving aside of a corrupt path guarantee.
//   - Marshal followed by Parse yields the same value, up to normalization
//     (Parse returns empty rather than nil tables, nil rather than empty
//     Extra, compact Extra values); Parse followed by Marshal yields bytes
//     that Parse reads back to the same value, unless the written form
//     outgrows MaxDocumentBytes (defaults filled into sparse entries), which
//     Marshal reports as ErrTooLarge.
//
// # Concurrency
//
// The functions keep no state. Calls for the same path must not overlap:
// each file has one owner (the topic, offset, subscription or delay manager)
// that serializes its loads and stores.
package configfile
