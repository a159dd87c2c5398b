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
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("100::/64"),        // discard-only
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("fec0::/10"),       // deprecated site-local
}

// Public reports whether a may receive partner webhooks. IPv4-mapped IPv6
// addresses are judged as the IPv4 address they carry.
func Public(a netip.Addr) bool {
	a = a.Unmap()
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
