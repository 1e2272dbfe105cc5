package remoting

import "slices"

// sortedKeysOnStack is the number of extFields keys the encoders sort in a
// stack array; larger maps spill to the heap. RocketMQ's largest common
// custom headers (SEND_MESSAGE, PULL_MESSAGE) have 14 and 13 fields.
const sortedKeysOnStack = 32

// sortedKeys appends the keys of m to buf and sorts them byte-wise, so that
// encoders write extFields in a deterministic order.
func sortedKeys(m map[string]string, buf []string) []string {
	for k := range m {
		buf = append(buf, k)
	}
	slices.Sort(buf)
	return buf
}
