package policy

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// FuzzMatch checks what a matched path can be: only unreserved bytes and
// '/', no empty, "." or ".." segment, the template's literal segments byte
// for byte, and parameters that fill the template back into the very path
// (so the upstream is sent exactly what was checked); integer parameters
// are canonical decimals. A refused path is refused with one of Match's
// errors.
func FuzzMatch(f *testing.F) {
	for _, seed := range []string{
		"/accounts", "/accounts/12", "/accounts/12/erc20-children-accounts", "/accounts/12/address/3",
		"/transactions/9/history", "/currencies/bitcoin", "/currencies/tokens",
		"/currencies/ethereum/tokens/0xdAC17F958D2ee523a2206206994597C13D831ec7",
		"/cardano/accounts/4/stakes/uid-1/rewards", "/", "", "/Accounts", "/accounts/", "//accounts",
		"/accounts/./12", "/accounts/../users/1", "/accounts/%2e%2e/users", "/accounts%2F12", "/accounts/12;x=1",
		"/accounts\\12", "/accounts/12%00", "/accounts/1 2", "/accounts/012", "/accounts/-1", "/accounts/abc",
		"/accounts/1234567890123456789", "/accounts/999999999999999999", "/requests/5/governance-status",
		"/currencies/..", "/currencies/...", "/currencies/.x", "/entities/1/users/", "/a/b/c/d/e/f/g",
		"/currencies/~/tokens/_", "/accounts/\xc0\xae", "/accounts/1?x=1", "/accounts/1#x",
	} {
		f.Add([]byte(seed))
	}
	rt := newTestRouter(f)
	f.Fuzz(func(t *testing.T, path []byte) {
		var ps PathParams
		ep, err := rt.Match(path, &ps)
		if err != nil {
			if !errors.Is(err, ErrUnknownPath) && !errors.Is(err, ErrAmbiguousPath) && !errors.Is(err, ErrBadPathParam) {
				t.Fatalf("Match(%q) = %v, not one of Match's errors", path, err)
			}
			return
		}
		p := string(path)
		if !strings.HasPrefix(p, "/") {
			t.Fatalf("matched %q, which does not start with /", p)
		}
		for _, c := range []byte(p) {
			if c != '/' && !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0) {
				t.Fatalf("matched %q, which holds the byte %q", p, c)
			}
		}
		segs := strings.Split(p[1:], "/")
		tmpl := strings.Split(ep.Template[1:], "/")
		if len(segs) != len(tmpl) {
			t.Fatalf("matched %q to %s: %d segments, want %d", p, ep.Template, len(segs), len(tmpl))
		}
		var filled []string
		param := 0
		for i, seg := range segs {
			if seg == "" || seg == "." || seg == ".." {
				t.Fatalf("matched %q, which has the segment %q", p, seg)
			}
			if !strings.HasPrefix(tmpl[i], "{") {
				if seg != tmpl[i] {
					t.Fatalf("matched %q to %s: segment %q, want %q", p, ep.Template, seg, tmpl[i])
				}
				filled = append(filled, seg)
				continue
			}
			raw := string(ps.Raw(param))
			if raw != seg {
				t.Fatalf("matched %q: parameter %d is %q, want the segment %q", p, param, raw, seg)
			}
			if isIntParam(ep.ParamNames[param]) && strconv.FormatInt(ps.Int(param), 10) != raw {
				t.Fatalf("matched %q: %s = %d, not the canonical %q", p, ep.ParamNames[param], ps.Int(param), raw)
			}
			filled = append(filled, raw)
			param++
		}
		if param != ps.Len() {
			t.Fatalf("matched %q: %d parameters filled, Len() = %d", p, param, ps.Len())
		}
		if back := "/" + strings.Join(filled, "/"); back != p {
			t.Fatalf("matched %q, which fills %s back as %q", p, ep.Template, back)
		}
	})
}
