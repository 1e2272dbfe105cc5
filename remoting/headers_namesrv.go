package remoting

// Custom headers of the name server requests (spec/remoting.md §3), with the
// extFields keys of apache/rocketmq's header classes.

// GetRouteInfoRequestHeader is GET_ROUTEINFO_BY_TOPIC's request header.
type GetRouteInfoRequestHeader struct {
	Topic string // "topic", required
}

// ToExtFields returns h as extFields.
func (h GetRouteInfoRequestHeader) ToExtFields() map[string]string {
	return map[string]string{"topic": h.Topic}
}

// DecodeGetRouteInfoRequestHeader reads a GetRouteInfoRequestHeader.
func DecodeGetRouteInfoRequestHeader(ext map[string]string) (GetRouteInfoRequestHeader, error) {
	r := extReader{ext: ext, header: "GetRouteInfoRequestHeader"}
	h := GetRouteInfoRequestHeader{Topic: r.str("topic")}
	return h, r.err
}

// RegisterBrokerRequestHeader is REGISTER_BROKER's request header. The body
// is the broker's RegisterBrokerBody, zlib-compressed when Compressed.
type RegisterBrokerRequestHeader struct {
	BrokerName   string // "brokerName", required
	BrokerAddr   string // "brokerAddr", required
	ClusterName  string // "clusterName", required
	HAServerAddr string // "haServerAddr", required
	BrokerID     int64  // "brokerId", required: 0 master, > 0 slave
	// HeartbeatTimeoutMillis is "heartbeatTimeoutMillis", optional: how long
	// the name server keeps the registration without a renewal; 0 (absent)
	// means the name server's default.
	HeartbeatTimeoutMillis int64
	EnableActingMaster     bool  // "enableActingMaster", optional
	Compressed             bool  // "compressed", optional
	BodyCRC32              int32 // "bodyCrc32", optional: CRC-32 of the body, 0 when not checked
}

// ToExtFields returns h as extFields. HeartbeatTimeoutMillis is left out
// when 0.
func (h RegisterBrokerRequestHeader) ToExtFields() map[string]string {
	m := map[string]string{
		"brokerName":         h.BrokerName,
		"brokerAddr":         h.BrokerAddr,
		"clusterName":        h.ClusterName,
		"haServerAddr":       h.HAServerAddr,
		"brokerId":           formatInt(h.BrokerID),
		"enableActingMaster": formatBool(h.EnableActingMaster),
		"compressed":         formatBool(h.Compressed),
		"bodyCrc32":          formatInt(h.BodyCRC32),
	}
	if h.HeartbeatTimeoutMillis != 0 {
		m["heartbeatTimeoutMillis"] = formatInt(h.HeartbeatTimeoutMillis)
	}
	return m
}

// DecodeRegisterBrokerRequestHeader reads a RegisterBrokerRequestHeader.
func DecodeRegisterBrokerRequestHeader(ext map[string]string) (RegisterBrokerRequestHeader, error) {
	r := extReader{ext: ext, header: "RegisterBrokerRequestHeader"}
	h := RegisterBrokerRequestHeader{
		BrokerName:             r.str("brokerName"),
		BrokerAddr:             r.str("brokerAddr"),
		ClusterName:            r.str("clusterName"),
		HAServerAddr:           r.str("haServerAddr"),
		BrokerID:               r.int64Field("brokerId", true),
		HeartbeatTimeoutMillis: r.int64Field("heartbeatTimeoutMillis", false),
		EnableActingMaster:     r.boolField("enableActingMaster"),
		Compressed:             r.boolField("compressed"),
		BodyCRC32:              r.int32Field("bodyCrc32", false),
	}
	return h, r.err
}

// RegisterBrokerResponseHeader is REGISTER_BROKER's response header: the
// master's addresses, for a registering slave.
type RegisterBrokerResponseHeader struct {
	HAServerAddr string // "haServerAddr", optional
	MasterAddr   string // "masterAddr", optional
}

// ToExtFields returns h as extFields; empty fields are left out.
func (h RegisterBrokerResponseHeader) ToExtFields() map[string]string {
	m := make(map[string]string, 2)
	if h.HAServerAddr != "" {
		m["haServerAddr"] = h.HAServerAddr
	}
	if h.MasterAddr != "" {
		m["masterAddr"] = h.MasterAddr
	}
	return m
}

// DecodeRegisterBrokerResponseHeader reads a RegisterBrokerResponseHeader.
func DecodeRegisterBrokerResponseHeader(ext map[string]string) (RegisterBrokerResponseHeader, error) {
	r := extReader{ext: ext, header: "RegisterBrokerResponseHeader"}
	h := RegisterBrokerResponseHeader{
		HAServerAddr: r.optStr("haServerAddr"),
		MasterAddr:   r.optStr("masterAddr"),
	}
	return h, r.err
}

// UnregisterBrokerRequestHeader is UNREGISTER_BROKER's request header.
type UnregisterBrokerRequestHeader struct {
	BrokerName  string // "brokerName", required
	BrokerAddr  string // "brokerAddr", required
	ClusterName string // "clusterName", required
	BrokerID    int64  // "brokerId", required
}

// ToExtFields returns h as extFields.
func (h UnregisterBrokerRequestHeader) ToExtFields() map[string]string {
	return map[string]string{
		"brokerName":  h.BrokerName,
		"brokerAddr":  h.BrokerAddr,
		"clusterName": h.ClusterName,
		"brokerId":    formatInt(h.BrokerID),
	}
}

// DecodeUnregisterBrokerRequestHeader reads an UnregisterBrokerRequestHeader.
func DecodeUnregisterBrokerRequestHeader(ext map[string]string) (UnregisterBrokerRequestHeader, error) {
	r := extReader{ext: ext, header: "UnRegisterBrokerRequestHeader"}
	h := UnregisterBrokerRequestHeader{
		BrokerName:  r.str("brokerName"),
		BrokerAddr:  r.str("brokerAddr"),
		ClusterName: r.str("clusterName"),
		BrokerID:    r.int64Field("brokerId", true),
	}
	return h, r.err
}

// DeleteTopicFromNamesrvRequestHeader is DELETE_TOPIC_IN_NAMESRV's request
// header.
type DeleteTopicFromNamesrvRequestHeader struct {
	Topic       string // "topic", required
	ClusterName string // "clusterName", optional: only that cluster's routes
}

// ToExtFields returns h as extFields; an empty ClusterName is left out.
func (h DeleteTopicFromNamesrvRequestHeader) ToExtFields() map[string]string {
	m := map[string]string{"topic": h.Topic}
	if h.ClusterName != "" {
		m["clusterName"] = h.ClusterName
	}
	return m
}

// DecodeDeleteTopicFromNamesrvRequestHeader reads a
// DeleteTopicFromNamesrvRequestHeader.
func DecodeDeleteTopicFromNamesrvRequestHeader(ext map[string]string) (DeleteTopicFromNamesrvRequestHeader, error) {
	r := extReader{ext: ext, header: "DeleteTopicFromNamesrvRequestHeader"}
	h := DeleteTopicFromNamesrvRequestHeader{
		Topic:       r.str("topic"),
		ClusterName: r.optStr("clusterName"),
	}
	return h, r.err
}

// WipeWritePermOfBrokerRequestHeader is WIPE_WRITE_PERM_OF_BROKER's request
// header.
type WipeWritePermOfBrokerRequestHeader struct {
	BrokerName string // "brokerName", required
}

// ToExtFields returns h as extFields.
func (h WipeWritePermOfBrokerRequestHeader) ToExtFields() map[string]string {
	return map[string]string{"brokerName": h.BrokerName}
}

// DecodeWipeWritePermOfBrokerRequestHeader reads a
// WipeWritePermOfBrokerRequestHeader.
func DecodeWipeWritePermOfBrokerRequestHeader(ext map[string]string) (WipeWritePermOfBrokerRequestHeader, error) {
	r := extReader{ext: ext, header: "WipeWritePermOfBrokerRequestHeader"}
	h := WipeWritePermOfBrokerRequestHeader{BrokerName: r.str("brokerName")}
	return h, r.err
}

// WipeWritePermOfBrokerResponseHeader is WIPE_WRITE_PERM_OF_BROKER's
// response header.
type WipeWritePermOfBrokerResponseHeader struct {
	WipeTopicCount int32 // "wipeTopicCount", required: topics whose write permission was removed
}

// ToExtFields returns h as extFields.
func (h WipeWritePermOfBrokerResponseHeader) ToExtFields() map[string]string {
	return map[string]string{"wipeTopicCount": formatInt(h.WipeTopicCount)}
}

// DecodeWipeWritePermOfBrokerResponseHeader reads a
// WipeWritePermOfBrokerResponseHeader.
func DecodeWipeWritePermOfBrokerResponseHeader(ext map[string]string) (WipeWritePermOfBrokerResponseHeader, error) {
	r := extReader{ext: ext, header: "WipeWritePermOfBrokerResponseHeader"}
	h := WipeWritePermOfBrokerResponseHeader{WipeTopicCount: r.int32Field("wipeTopicCount", true)}
	return h, r.err
}

// AddWritePermOfBrokerRequestHeader is ADD_WRITE_PERM_OF_BROKER's request
// header.
type AddWritePermOfBrokerRequestHeader struct {
	BrokerName string // "brokerName", required
}

// ToExtFields returns h as extFields.
func (h AddWritePermOfBrokerRequestHeader) ToExtFields() map[string]string {
	return map[string]string{"brokerName": h.BrokerName}
}

// DecodeAddWritePermOfBrokerRequestHeader reads an
// AddWritePermOfBrokerRequestHeader.
func DecodeAddWritePermOfBrokerRequestHeader(ext map[string]string) (AddWritePermOfBrokerRequestHeader, error) {
	r := extReader{ext: ext, header: "AddWritePermOfBrokerRequestHeader"}
	h := AddWritePermOfBrokerRequestHeader{BrokerName: r.str("brokerName")}
	return h, r.err
}

// AddWritePermOfBrokerResponseHeader is ADD_WRITE_PERM_OF_BROKER's response
// header.
type AddWritePermOfBrokerResponseHeader struct {
	AddTopicCount int32 // "addTopicCount", required: topics whose write permission was restored
}

// ToExtFields returns h as extFields.
func (h AddWritePermOfBrokerResponseHeader) ToExtFields() map[string]string {
	return map[string]string{"addTopicCount": formatInt(h.AddTopicCount)}
}

// DecodeAddWritePermOfBrokerResponseHeader reads an
// AddWritePermOfBrokerResponseHeader.
func DecodeAddWritePermOfBrokerResponseHeader(ext map[string]string) (AddWritePermOfBrokerResponseHeader, error) {
	r := extReader{ext: ext, header: "AddWritePermOfBrokerResponseHeader"}
	h := AddWritePermOfBrokerResponseHeader{AddTopicCount: r.int32Field("addTopicCount", true)}
	return h, r.err
}

// PutKVConfigRequestHeader is PUT_KV_CONFIG's request header.
type PutKVConfigRequestHeader struct {
	Namespace string // "namespace", required
	Key       string // "key", required
	Value     string // "value", required
}

// ToExtFields returns h as extFields.
func (h PutKVConfigRequestHeader) ToExtFields() map[string]string {
	return map[string]string{"namespace": h.Namespace, "key": h.Key, "value": h.Value}
}

// DecodePutKVConfigRequestHeader reads a PutKVConfigRequestHeader.
func DecodePutKVConfigRequestHeader(ext map[string]string) (PutKVConfigRequestHeader, error) {
	r := extReader{ext: ext, header: "PutKVConfigRequestHeader"}
	h := PutKVConfigRequestHeader{
		Namespace: r.str("namespace"),
		Key:       r.str("key"),
		Value:     r.str("value"),
	}
	return h, r.err
}

// GetKVConfigRequestHeader is GET_KV_CONFIG's request header.
type GetKVConfigRequestHeader struct {
	Namespace string // "namespace", required
	Key       string // "key", required
}

// ToExtFields returns h as extFields.
func (h GetKVConfigRequestHeader) ToExtFields() map[string]string {
	return map[string]string{"namespace": h.Namespace, "key": h.Key}
}

// DecodeGetKVConfigRequestHeader reads a GetKVConfigRequestHeader.
func DecodeGetKVConfigRequestHeader(ext map[string]string) (GetKVConfigRequestHeader, error) {
	r := extReader{ext: ext, header: "GetKVConfigRequestHeader"}
	h := GetKVConfigRequestHeader{Namespace: r.str("namespace"), Key: r.str("key")}
	return h, r.err
}

// GetKVConfigResponseHeader is GET_KV_CONFIG's response header.
type GetKVConfigResponseHeader struct {
	Value string // "value", optional
}

// ToExtFields returns h as extFields; an empty Value is left out.
func (h GetKVConfigResponseHeader) ToExtFields() map[string]string {
	m := make(map[string]string, 1)
	if h.Value != "" {
		m["value"] = h.Value
	}
	return m
}

// DecodeGetKVConfigResponseHeader reads a GetKVConfigResponseHeader.
func DecodeGetKVConfigResponseHeader(ext map[string]string) (GetKVConfigResponseHeader, error) {
	r := extReader{ext: ext, header: "GetKVConfigResponseHeader"}
	h := GetKVConfigResponseHeader{Value: r.optStr("value")}
	return h, r.err
}

// DeleteKVConfigRequestHeader is DELETE_KV_CONFIG's request header.
type DeleteKVConfigRequestHeader struct {
	Namespace string // "namespace", required
	Key       string // "key", required
}

// ToExtFields returns h as extFields.
func (h DeleteKVConfigRequestHeader) ToExtFields() map[string]string {
	return map[string]string{"namespace": h.Namespace, "key": h.Key}
}

// DecodeDeleteKVConfigRequestHeader reads a DeleteKVConfigRequestHeader.
func DecodeDeleteKVConfigRequestHeader(ext map[string]string) (DeleteKVConfigRequestHeader, error) {
	r := extReader{ext: ext, header: "DeleteKVConfigRequestHeader"}
	h := DeleteKVConfigRequestHeader{Namespace: r.str("namespace"), Key: r.str("key")}
	return h, r.err
}

// GetTopicsByClusterRequestHeader is GET_TOPICS_BY_CLUSTER's request header.
type GetTopicsByClusterRequestHeader struct {
	Cluster string // "cluster", required
}

// ToExtFields returns h as extFields.
func (h GetTopicsByClusterRequestHeader) ToExtFields() map[string]string {
	return map[string]string{"cluster": h.Cluster}
}

// DecodeGetTopicsByClusterRequestHeader reads a
// GetTopicsByClusterRequestHeader.
func DecodeGetTopicsByClusterRequestHeader(ext map[string]string) (GetTopicsByClusterRequestHeader, error) {
	r := extReader{ext: ext, header: "GetTopicsByClusterRequestHeader"}
	h := GetTopicsByClusterRequestHeader{Cluster: r.str("cluster")}
	return h, r.err
}
