package cmdutil

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
)

// loopbackIPv4 is what PickHostIPv4 falls back to.
var loopbackIPv4 = netip.AddrFrom4([4]byte{127, 0, 0, 1})

// HostIPv4 returns the address a server publishes by default: RocketMQ's
// brokerIP1 default, the machine's first suitable IPv4 address (see
// PickHostIPv4) on an interface that is up and not a Linux bridge, or
// 127.0.0.1 when there is none.
func HostIPv4() netip.Addr {
	ifaces, err := net.Interfaces()
	if err != nil {
		return loopbackIPv4
	}
	var candidates []netip.Addr
	for _, iface := range ifaces {
		if iface.Flags&net.FlagUp == 0 || iface.Flags&net.FlagLoopback != 0 || isBridge(iface.Name) {
			continue
		}
		addrs, err := iface.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(n.IP); ok {
					candidates = append(candidates, ip)
				}
			}
		}
	}
	return PickHostIPv4(candidates)
}

// isBridge reports whether the Linux interface name is a bridge (docker0,
// virbr0, ...), whose addresses other machines cannot reach; RocketMQ skips
// them the same way.
func isBridge(name string) bool {
	_, err := os.Stat(filepath.Join("/sys/class/net", name, "bridge"))
	return err == nil
}

// PickHostIPv4 chooses among interface addresses as RocketMQ does: IPv4
// only (IPv4-mapped IPv6 counts as IPv4), never loopback, 0.0.0.0/8,
// link-local or multicast; the first one outside 192.168.0.0/16 (which is
// usually a home or NAT network), else the first 192.168 one, else
// 127.0.0.1.
func PickHostIPv4(addrs []netip.Addr) netip.Addr {
	var private netip.Addr
	natNet := netip.MustParsePrefix("192.168.0.0/16")
	for _, a := range addrs {
		a = a.Unmap()
		if !a.Is4() || a.IsLoopback() || a.As4()[0] == 0 || a.IsLinkLocalUnicast() || a.IsMulticast() {
			continue
		}
		if !natNet.Contains(a) {
			return a
		}
		if !private.IsValid() {
			private = a
		}
	}
	if private.IsValid() {
		return private
	}
	return loopbackIPv4
}
