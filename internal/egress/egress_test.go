package egress

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestPublic(t *testing.T) {
	for addr, want := range map[string]bool{
		"93.184.215.14":        true,
		"2606:4700::6810:84e5": true,
		"8.8.8.8":              true,
		"127.0.0.1":            false,
		"127.255.0.9":          false,
		"::1":                  false,
		"::ffff:127.0.0.1":     false, // IPv4-mapped loopback
		"::ffff:10.1.2.3":      false,
		"10.0.0.1":             false,
		"172.16.5.4":           false,
		"192.168.1.1":          false,
		"169.254.169.254":      false, // cloud metadata
		"fe80::1":              false,
		"fc00::1":              false,
		"fd12:3456::1":         false,
		"100.64.0.1":           false, // carrier-grade NAT
		"0.0.0.0":              false,
		"0.1.2.3":              false,
		"::":                   false,
		"224.0.0.1":            false,
		"ff02::1":              false,
		"255.255.255.255":      false,
		"192.0.2.10":           false,
		"2001:db8::1":          false,
		"198.18.0.1":           false,
	} {
		if got := Public(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Public(%s) = %v, want %v", addr, got, want)
		}
	}
	if Public(netip.Addr{}) {
		t.Error("the zero Addr is public")
	}
}

func TestCheckHost(t *testing.T) {
	for _, tt := range []struct {
		host          string
		allowLoopback bool
		ok            bool
	}{
		{"hooks.example.com", false, true}, // names are checked when dialled
		{"93.184.215.14", false, true},
		{"2606:4700::6810:84e5", false, true},
		{"localhost", false, false},
		{"LOCALHOST.", false, false},
		{"api.localhost", false, false},
		{"localhost", true, true},
		{"127.0.0.1", false, false},
		{"127.0.0.1", true, true},
		{"::1", true, true},
		{"10.0.0.1", true, false}, // the flag lets loopback through, nothing else
		{"169.254.169.254", false, false},
		{"::ffff:169.254.169.254", false, false},
		{"fe80::1%eth0", true, false},
	} {
		err := CheckHost(tt.host, tt.allowLoopback)
		if (err == nil) != tt.ok {
			t.Errorf("CheckHost(%q, %v) = %v, want ok %v", tt.host, tt.allowLoopback, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrNotPublic) {
			t.Errorf("CheckHost(%q): %v is not ErrNotPublic", tt.host, err)
		}
	}
}

// TestClientDialsAllowedAddressesOnly: a receiver on loopback, reached by
// address and by a name that resolves there, is refused on the dialled
// address unless loopback is allowed; redirects are not followed.
func TestClientDialsAllowedAddressesOnly(t *testing.T) {
	var hits atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer recv.Close()
	port := recv.URL[strings.LastIndexByte(recv.URL, ':')+1:]
	for _, u := range []string{recv.URL, "http://localhost:" + port} {
		_, err := Client(false, 5*time.Second).Get(u)
		if !errors.Is(err, ErrNotPublic) {
			t.Errorf("GET %s without loopback: %v, want ErrNotPublic", u, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the receiver was reached %d times", n)
	}
	c := Client(true, 5*time.Second)
	resp, err := c.Get(recv.URL)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("GET with loopback allowed: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = c.Get(recv.URL + "/redirect")
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("redirect: %v %v, want the 302 itself", resp, err)
	}
	resp.Body.Close()
	if n := hits.Load(); n != 2 {
		t.Errorf("hits %d, want 2", n)
	}
}

func TestLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LocalHost.": true, "api.localhost": true, "127.0.0.1": true, "127.8.9.1": true,
		"::1": true, "[::1]": true, "::ffff:127.0.0.1": true,
		"example.com": false, "localhost.example.com": false, "10.0.0.1": false, "0.0.0.0": false, "fe80::1%lo": false,
	} {
		if got := Loopback(host); got != want {
			t.Errorf("Loopback(%q) = %v, want %v", host, got, want)
		}
	}
}
