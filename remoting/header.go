package remoting

import "slices"

// sortedKeysOnStack is the number of extFields keys the encoders sort in a
// stack array; larger maps spill to the heap. RocketMQ's largest common
// custom headers (SEND_MESSAGE, PULL_MESSAGE) have 14 and 13 fields.
const sortedKeysOnStack = 32

// insertionSortMaxKeys is the most keys sortedKeys sorts by insertion: for
// the handful of fields of a typical header that beats a general sort,
// whose setup costs more than the comparisons it saves.
const insertionSortMaxKeys = 16

// sortedKeys appends the keys of m to buf and sorts them byte-wise, so that
// encoders write extFields in a deterministic order.
func sortedKeys(m map[string]string, buf []string) []string {
	for k := range m {
		buf = append(buf, k)
	}
	if len(buf) > insertionSortMaxKeys {
		slices.Sort(buf)
		return buf
	}
	for i := 1; i < len(buf); i++ {
		for j := i; j > 0 && buf[j] < buf[j-1]; j-- {
			buf[j], buf[j-1] = buf[j-1], buf[j]
		}
	}
	return buf
}
