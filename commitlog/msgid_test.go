package commitlog

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestOffsetMsgID(t *testing.T) {
	cases := []struct {
		name       string
		host       netip.AddrPort
		physOffset int64
		want       string
	}{
		{
			name: "ipv4", host: netip.MustParseAddrPort("10.0.0.1:10911"), physOffset: 4096,
			// 0A000001 | 00002A9F | 0000000000001000
			want: "0A00000100002A9F0000000000001000",
		},
		{
			name: "ipv4 high bytes", host: netip.MustParseAddrPort("192.168.255.254:65535"), physOffset: 1<<62 + 0xABCDEF,
			// C0A8FFFE | 0000FFFF | 4000000000ABCDEF
			want: "C0A8FFFE0000FFFF4000000000ABCDEF",
		},
		{
			name: "ipv6", host: netip.MustParseAddrPort("[2001:db8::1]:10911"), physOffset: 1,
			// 20010DB8000000000000000000000001 | 00002A9F | 0000000000000001
			want: "20010DB800000000000000000000000100002A9F0000000000000001",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, FormatOffsetMsgID(c.host, c.physOffset))
			host, off, err := ParseOffsetMsgID(c.want)
			require.NoError(t, err)
			require.Equal(t, c.host, host)
			require.Equal(t, c.physOffset, off)
		})
	}
	host, off, err := ParseOffsetMsgID("0a00000100002a9f0000000000001000")
	require.NoError(t, err, "lowercase hex is accepted")
	require.Equal(t, netip.MustParseAddrPort("10.0.0.1:10911"), host)
	require.Equal(t, int64(4096), off)
}

func TestParseOffsetMsgIDErrors(t *testing.T) {
	cases := []struct {
		name string
		in   string
	}{
		{"empty", ""},
		{"31 characters", "0A00000100002A9F000000000000100"},
		{"33 characters", "0A00000100002A9F00000000000010000"},
		{"40 characters", "0A00000100002A9F00000000000010000A000001"},
		{"not hex", "0A00000100002A9F000000000000100G"},
		{"sign in hex", "-A00000100002A9F0000000000001000"},
		{"port above 65535", "0A000001000100000000000000001000"},
		{"negative port", "0A000001FFFFFFFF0000000000001000"},
		{"negative offset", "0A00000100002A9F8000000000000000"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := ParseOffsetMsgID(c.in)
			require.ErrorIs(t, err, ErrBadOffsetMsgID)
		})
	}
}
