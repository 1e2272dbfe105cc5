package configfile

import "encoding/json"

// DataVersion versions a metadata table: brokers compare it to tell whether
// a peer's copy changed (JSON object {counter, stateVersion, timestamp}).
type DataVersion struct {
	// Counter is incremented on every change ("counter").
	Counter int64
	// StateVersion is the broker state version of 5.x; 4.x files lack it
	// and read as 0 ("stateVersion").
	StateVersion int64
	// TimestampMs is the time of the last change in milliseconds since the
	// Unix epoch ("timestamp").
	TimestampMs int64
}

// dataVersionFields are the JSON fields of a DataVersion in Java String
// order.
var dataVersionFields = []string{"counter", "stateVersion", "timestamp"}

// decodeDataVersion reads a DataVersion object; null reads as nil. Unknown
// fields are ignored.
func decodeDataVersion(raw json.RawMessage) (*DataVersion, error) {
	fields, err := decodeObject(raw)
	if err != nil || fields == nil {
		return nil, err
	}
	var dv DataVersion
	for _, name := range sortedNames(fields) {
		var dst *int64
		switch name {
		case "counter":
			dst = &dv.Counter
		case "stateVersion":
			dst = &dv.StateVersion
		case "timestamp":
			dst = &dv.TimestampMs
		default:
			continue
		}
		if err := decodeInto(fields[name], dst); err != nil {
			return nil, atField(err, name)
		}
	}
	return &dv, nil
}

func writeDataVersion(w *writer, dv DataVersion) {
	err := writeBean(w, dataVersionFields, nil, func(w *writer, name string) {
		switch name {
		case "counter":
			w.int(dv.Counter)
		case "stateVersion":
			w.int(dv.StateVersion)
		case "timestamp":
			w.int(dv.TimestampMs)
		}
	})
	if err != nil {
		panic("configfile: writing a DataVersion, which has no Extra, failed: " + err.Error())
	}
}
