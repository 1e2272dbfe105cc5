package cmdutil

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPickHostIPv4(t *testing.T) {
	a := netip.MustParseAddr
	cases := []struct {
		name string
		in   []netip.Addr
		want netip.Addr
	}{
		{"none", nil, a("127.0.0.1")},
		{"only unusable", []netip.Addr{a("127.0.0.1"), a("0.0.0.0"), a("0.1.2.3"), a("169.254.1.1"), a("224.0.0.1"), a("fe80::1"), a("2001:db8::1")}, a("127.0.0.1")},
		{"first routable", []netip.Addr{a("::1"), a("10.0.0.5"), a("172.16.0.9")}, a("10.0.0.5")},
		{"192.168 last resort", []netip.Addr{a("192.168.1.7"), a("192.168.2.8")}, a("192.168.1.7")},
		{"192.168 after others", []netip.Addr{a("192.168.1.7"), a("10.1.1.1")}, a("10.1.1.1")},
		{"mapped", []netip.Addr{a("::ffff:10.2.3.4")}, a("10.2.3.4")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, PickHostIPv4(tc.in))
		})
	}
}

func TestHostIPv4IsUsable(t *testing.T) {
	ip := HostIPv4()
	require.True(t, ip.Is4(), "%v", ip)
	require.False(t, ip.IsUnspecified())
}
