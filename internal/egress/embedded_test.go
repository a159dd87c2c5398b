package egress

import (
	"errors"
	"net/netip"
	"testing"
	"time"
)

// Regression (issue 13, item 5): NAT64 and 6to4 addresses carry an IPv4
// address that the path ends at; they were judged as IPv6 addresses, so
// 64:ff9b::a9fe:a9fe (the metadata service behind a NAT64 gateway) and
// 2002:7f00:1:: (6to4 of 127.0.0.1) counted as public.
func TestPublicJudgesEmbeddedIPv4(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		// NAT64, well-known prefix (RFC 6052): the last 32 bits.
		"64:ff9b::a9fe:a9fe":   false, // 169.254.169.254
		"64:ff9b::10.1.2.3":    false,
		"64:ff9b::127.0.0.1":   false,
		"64:ff9b::100.64.0.1":  false,
		"64:ff9b::0.0.0.1":     false,
		"64:ff9b::192.168.1.1": false,
		"64:ff9b::172.16.0.1":  false,
		"64:ff9b::192.0.2.1":   false, // documentation
		"64:ff9b::8.8.8.8":     true,  // how IPv6-only networks reach IPv4 hosts
		// NAT64, local-use prefix (RFC 8215): the operator's own network,
		// whatever it embeds.
		"64:ff9b:1::8.8.8.8":       false,
		"64:ff9b:1:a9fe:a9:fe00::": false,
		// 6to4 (RFC 3056): bits 16 to 47.
		"2002:7f00:1::":     false, // 127.0.0.1
		"2002:a00:1::1":     false, // 10.0.0.1
		"2002:a9fe:a9fe::1": false, // 169.254.169.254
		"2002:c0a8:101::":   false, // 192.168.1.1
		"2002:6440:1::":     false, // 100.64.0.1
		"2002:0:1::":        false, // 0.0.0.1
		"2002:ac10:1::":     false, // 172.16.0.1
		"2002:808:808::1":   true,  // 8.8.8.8
		// Teredo (RFC 4380): refused whole (the client's address is
		// obfuscated, the path goes through relays, the protocol is
		// deprecated); likewise the deprecated IPv4-compatible and
		// IPv4-translated forms, and the 6to4 relay anycast.
		"2001:0:4136:e378:8000:63bf:3fff:fdd2": false,
		"2001::a9fe:a9fe":                      false,
		"::10.0.0.1":                           false,
		"::8.8.8.8":                            false,
		"::ffff:0:a9fe:a9fe":                   false,
		"192.88.99.1":                          false,
		// Neighbours that are ordinary global unicast stay public.
		"2001:4860:4860::8888": true,
		"2003::1":              true,
		"64:ff9a::1":           true,
	} {
		if got := Public(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Public(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestCheckHostJudgesEmbeddedIPv4(t *testing.T) {
	t.Parallel()
	for _, host := range []string{"[64:ff9b::a9fe:a9fe]", "64:ff9b::127.0.0.1", "2002:7f00:1::", "[2002:a00:1::1]", "2001::1"} {
		for _, allowLoopback := range []bool{false, true} {
			if err := CheckHost(host, allowLoopback); !errors.Is(err, ErrNotPublic) {
				t.Errorf("CheckHost(%q, %v) = %v, want ErrNotPublic", host, allowLoopback, err)
			}
		}
	}
	if err := CheckHost("64:ff9b::8.8.8.8", false); err != nil {
		t.Errorf("NAT64 of a public address refused: %v", err)
	}
}

// TestClientRefusesEmbeddedIPv4AtDial: the address dialled (after DNS) is
// judged the same way, before any packet leaves.
func TestClientRefusesEmbeddedIPv4AtDial(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"http://[64:ff9b::a9fe:a9fe]/latest/meta-data/", "http://[2002:7f00:1::]:6379/", "http://[64:ff9b::10.0.0.1]/"} {
		for _, allowLoopback := range []bool{false, true} {
			start := time.Now()
			_, err := Client(allowLoopback, 2*time.Second).Get(u)
			if !errors.Is(err, ErrNotPublic) {
				t.Errorf("GET %s (loopback %v): %v, want ErrNotPublic", u, allowLoopback, err)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("GET %s took %v: refused only after trying", u, d)
			}
		}
	}
}
