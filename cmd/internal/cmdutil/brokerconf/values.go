package brokerconf

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apogeemq/apogee/store"
)

// Bounds on values, each with the reason it exists.
const (
	// maxInterval bounds every period and timeout given in milliseconds:
	// a periodic task runs at least daily, and a longer value is a typo
	// (a number of seconds where milliseconds were meant, say).
	maxInterval = 24 * time.Hour
	// maxReservedHours bounds fileReservedTime: a century keeps the
	// duration far below time.Duration's 292-year limit.
	maxReservedHours = 100 * 365 * 24
	// maxNameBytes bounds brokerName and brokerClusterName: RocketMQ makes
	// both topic names (brokerTopicEnable, clusterTopicEnable), and a topic
	// has at most 255 bytes.
	maxNameBytes = 255
	// maxNamesrvAddrs bounds namesrvAddr: the broker registers with every
	// name server each period.
	maxNamesrvAddrs = 64
	// maxDelayLevels bounds messageDelayLevel: each level is a queue of
	// SCHEDULE_TOPIC_XXXX with its own timer (RocketMQ ships 18).
	maxDelayLevels = 100
	// maxDelay bounds one delay level: a year is beyond any retention, and
	// keeps the number times its unit far from overflowing.
	maxDelay = 365 * 24 * time.Hour
)

// badValue is the error for a value that cannot be used for key.
func badValue(key, value, format string, args ...any) error {
	return fmt.Errorf("%w: %s=%q: %s", ErrConfig, key, value, fmt.Sprintf(format, args...))
}

// parseInt reads a decimal integer in [lo, hi] (Java's Long.parseLong
// syntax: an optional sign, digits).
func parseInt(key, value string, lo, hi int64) (int64, error) {
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil {
		return 0, badValue(key, value, "not an integer")
	}
	if n < lo || n > hi {
		return 0, badValue(key, value, "outside %d..%d", lo, hi)
	}
	return n, nil
}

// parseBool reads true or false in any case. Java's Boolean.parseBoolean
// reads anything else as false; a typo here is refused instead.
func parseBool(key, value string) (bool, error) {
	switch strings.ToLower(value) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, badValue(key, value, "not true or false")
}

// parseMillis reads a number of milliseconds in [lo, hi].
func parseMillis(key, value string, lo, hi time.Duration) (time.Duration, error) {
	n, err := parseInt(key, value, lo.Milliseconds(), hi.Milliseconds())
	if err != nil {
		return 0, err
	}
	return time.Duration(n) * time.Millisecond, nil
}

func formatMillis(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }

// parseName reads a broker or cluster name.
func parseName(key, value string) (string, error) {
	switch {
	case value == "":
		return "", badValue(key, value, "empty")
	case len(value) > maxNameBytes:
		return "", badValue(key, value, "longer than %d bytes", maxNameBytes)
	case strings.ContainsAny(value, " \t\r\n\f;,"):
		return "", badValue(key, value, "contains white space, ';' or ','")
	}
	return value, nil
}

// parseNamesrvAddrs reads namesrvAddr: "host:port" entries separated by
// ';'. Empty entries (a trailing ';') are skipped; an empty value means no
// name server.
func parseNamesrvAddrs(key, value string) ([]string, error) {
	var addrs []string
	for _, part := range strings.Split(value, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		host, port, err := net.SplitHostPort(part)
		if err != nil || host == "" || strings.ContainsAny(host, " \t") {
			return nil, badValue(key, value, "%q is not host:port", part)
		}
		if p, err := strconv.ParseUint(port, 10, 16); err != nil || p == 0 {
			return nil, badValue(key, value, "%q has no valid port", part)
		}
		addrs = append(addrs, part)
	}
	if len(addrs) > maxNamesrvAddrs {
		return nil, badValue(key, value, "more than %d name servers", maxNamesrvAddrs)
	}
	return addrs, nil
}

// parseBindAddress reads an address to listen on; 0.0.0.0 and :: mean every
// interface.
func parseBindAddress(key, value string) (netip.Addr, error) { return parseIP(key, value, true) }

// parsePublishedIP reads an address clients connect to.
func parsePublishedIP(key, value string) (netip.Addr, error) { return parseIP(key, value, false) }

// parseIP reads an IP address without a zone; IPv4-mapped IPv6 addresses
// become IPv4. wildcard says whether 0.0.0.0 and :: are allowed.
func parseIP(key, value string, wildcard bool) (netip.Addr, error) {
	ip, err := netip.ParseAddr(value)
	switch {
	case err != nil:
		return netip.Addr{}, badValue(key, value, "not an IP address")
	case ip.Zone() != "":
		return netip.Addr{}, badValue(key, value, "an IPv6 zone cannot be published or bound here")
	case !wildcard && ip.IsUnspecified():
		return netip.Addr{}, badValue(key, value, "clients cannot connect to the unspecified address")
	}
	return ip.Unmap(), nil
}

// parseDeleteWhen reads deleteWhen: hours of the day ("04", "01;02;03").
// Unlike RocketMQ, which skips entries that are not numbers, a bad entry
// is an error. Repeated hours are kept once; an empty value means no
// deletion hour (files go only under disk pressure).
func parseDeleteWhen(key, value string) ([]int, error) {
	var hours []int
	if strings.TrimSpace(value) == "" {
		return hours, nil
	}
	for _, part := range strings.Split(value, ";") {
		h, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || h < 0 || h > 23 {
			return nil, badValue(key, value, "%q is not an hour 0..23", part)
		}
		if !slices.Contains(hours, h) {
			hours = append(hours, h)
		}
	}
	return hours, nil
}

func formatDeleteWhen(hours []int) string {
	parts := make([]string, len(hours))
	for i, h := range hours {
		parts[i] = fmt.Sprintf("%02d", h)
	}
	return strings.Join(parts, ";")
}

// delayUnit is one unit of messageDelayLevel.
type delayUnit struct {
	suffix byte
	unit   time.Duration
}

// delayUnits are the units of messageDelayLevel, as in RocketMQ, largest
// first.
var delayUnits = []delayUnit{{'d', 24 * time.Hour}, {'h', time.Hour}, {'m', time.Minute}, {'s', time.Second}}

// parseDelayLevels reads messageDelayLevel ("1s 5s 10s 30s 1m ... 2h"),
// bounding the number of levels and each level before store.ParseDelayLevels
// converts them.
func parseDelayLevels(key, value string) ([]time.Duration, error) {
	fields := strings.Fields(value)
	if len(fields) == 0 || len(fields) > maxDelayLevels {
		return nil, badValue(key, value, "want 1..%d levels", maxDelayLevels)
	}
	for _, f := range fields {
		i := slices.IndexFunc(delayUnits, func(u delayUnit) bool { return f[len(f)-1] == u.suffix })
		if i < 0 {
			return nil, badValue(key, value, "level %q does not end in s, m, h or d", f)
		}
		n, err := strconv.ParseInt(f[:len(f)-1], 10, 64)
		if err != nil || n < 0 || n > int64(maxDelay/delayUnits[i].unit) {
			return nil, badValue(key, value, "level %q is not a delay of 0..%v", f, maxDelay)
		}
	}
	levels, err := store.ParseDelayLevels(value)
	if err != nil {
		return nil, badValue(key, value, "%v", err)
	}
	return levels, nil
}

// formatDelayLevels writes each level in the largest unit that divides it.
func formatDelayLevels(levels []time.Duration) string {
	parts := make([]string, len(levels))
	for i, d := range levels {
		parts[i] = strconv.FormatInt(int64(d/time.Second), 10) + "s"
		for _, u := range delayUnits {
			if d != 0 && d%u.unit == 0 {
				parts[i] = strconv.FormatInt(int64(d/u.unit), 10) + string(u.suffix)
				break
			}
		}
	}
	return strings.Join(parts, " ")
}

// parsePercent reads an integer percentage in [lo, hi] as a ratio.
// RocketMQ clamps diskMaxUsedSpaceRatio and the disk-space levels to such
// ranges silently; a value outside is refused here.
func parsePercent(key, value string, lo, hi int64) (float64, error) {
	n, err := parseInt(key, value, lo, hi)
	if err != nil {
		return 0, err
	}
	return float64(n) / 100, nil
}

func formatPercent(ratio float64) string {
	return strconv.FormatInt(int64(ratio*100+0.5), 10)
}
