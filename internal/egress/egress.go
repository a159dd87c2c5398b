package egress

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// ErrNotPublic is the refusal of an address inside a private, loopback,
// link-local, shared, documentation, multicast or reserved range.
var ErrNotPublic = errors.New("not a public address")

// nonPublic are the ranges a partner webhook may not reach, beyond what
// netip.Addr's predicates name (loopback, private, link-local, multicast,
// unspecified).
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // shared address space (carrier-grade NAT)
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, broadcast
	netip.MustParsePrefix("192.88.99.0/24"),  // 6to4 relay anycast (deprecated, RFC 7526)
	netip.MustParsePrefix("::/96"),           // IPv4-compatible (deprecated, RFC 4291)
	netip.MustParsePrefix("::ffff:0:0:0/96"), // IPv4-translated (SIIT, RFC 2765)
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64 (RFC 8215): the operator's own translator
	netip.MustParsePrefix("100::/64"),        // discard-only
	netip.MustParsePrefix("2001::/32"),       // Teredo (RFC 4380), see embeddedIPv4
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("fec0::/10"),       // deprecated site-local
}

// The IPv6 prefixes whose addresses lead to the IPv4 address they embed.
var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96") // well-known NAT64 prefix, RFC 6052: the last 32 bits
	sixToFour = netip.MustParsePrefix("2002::/16")    // 6to4, RFC 3056: bits 16 to 47
)

// embeddedIPv4 returns the IPv4 address a NAT64 or 6to4 address leads to.
// Such an address is only as public as that IPv4 address: 64:ff9b::a9fe:a9fe
// is the metadata service behind a NAT64 gateway. Teredo (2001::/32) embeds
// its server and, obfuscated, its client, and is reached through relays: it
// is refused whole (nonPublic), as deprecated and never a webhook's address.
// The local-use NAT64 prefix places its IPv4 bits by the operator's chosen
// length and points into the operator's own translator: refused whole too.
func embeddedIPv4(a netip.Addr) (netip.Addr, bool) {
	b := a.As16()
	switch {
	case !a.Is6():
		return netip.Addr{}, false
	case nat64.Contains(a):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixToFour.Contains(a):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}

// Public reports whether a may receive partner webhooks. IPv4-mapped IPv6
// addresses are judged as the IPv4 address they carry, NAT64 and 6to4
// addresses as the IPv4 address they lead to (embeddedIPv4).
func Public(a netip.Addr) bool {
	a = a.Unmap()
	if v4, ok := embeddedIPv4(a); ok {
		return Public(v4)
	}
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// Allowed reports whether a may be dialled: a public address, or a loopback
// one when allowLoopback (tests and demos run their receivers there).
func Allowed(a netip.Addr, allowLoopback bool) bool {
	return Public(a) || (allowLoopback && a.Unmap().IsLoopback())
}

// CheckHost refuses, at registration, a URL host that is an address
// outside the allowed ranges, or a name every resolver keeps local
// (localhost, *.localhost). Other names are checked when dialled.
func CheckHost(host string, allowLoopback bool) error {
	if Loopback(host) {
		if allowLoopback {
			return nil
		}
		return fmt.Errorf("%s: %w", host, ErrNotPublic)
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	if err != nil {
		return nil // a name
	}
	if a.Zone() != "" || !Allowed(a, allowLoopback) {
		return fmt.Errorf("%s: %w", host, ErrNotPublic)
	}
	return nil
}

// Loopback reports whether host, a URL's host without port, is a loopback
// address or a name every resolver keeps local (localhost, *.localhost).
func Loopback(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"))
	return err == nil && a.Zone() == "" && a.Unmap().IsLoopback()
}

// Client returns an HTTP client for partner webhooks: it dials only
// allowed addresses (checked on the resolved address of each connection),
// follows no redirect, uses no proxy from the environment, and gives up
// after timeout.
func Client(allowLoopback bool, timeout time.Duration) *http.Client {
	d := &net.Dialer{
		Timeout: 10 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("egress: %q: %w", address, err)
			}
			if !Allowed(ap.Addr(), allowLoopback) {
				return fmt.Errorf("egress: %s: %w", ap.Addr(), ErrNotPublic)
			}
			return nil
		},
	}
	t := &http.Transport{
		Proxy:                  nil,
		DialContext:            d.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           100,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &http.Client{
		Transport:     t,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
