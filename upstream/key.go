package upstream

import (
	"bytes"

	"github.com/valyala/fasthttp"
)

// readKey appends to b what identifies an upstream read, and says what the
// request may share. The identity is the method, the request target (the
// rewritten one: the scope filters are in it) and the headers that may
// change the answer, Accept and Accept-Language; two requests that differ
// only in other headers (User-Agent, a trusted proxy's X-Forwarded-For) are
// the same read. share is false for a request that must have an exchange
// of its own: not a GET, or one whose answer depends on what the partner
// holds (Range, If-*). cache is false too when the partner asked for a
// fresh answer (Cache-Control or Pragma with no-cache or no-store): it may
// still join an exchange in flight, whose answer is as fresh as its own.
func readKey(b []byte, req *fasthttp.Request) (key []byte, share, cache bool) {
	h := &req.Header
	b = append(b, h.Method()...)
	b = append(b, 0)
	b = append(b, h.RequestURI()...)
	b = append(b, 0)
	share, cache = h.IsGet(), true
	for name, value := range h.All() {
		switch {
		case fold(name, "accept"), fold(name, "accept-language"):
			b = append(b, name...)
			b = append(b, ':')
			b = append(b, value...)
			b = append(b, 0)
		case fold(name, "range"), len(name) > 3 && fold(name[:3], "if-"):
			share = false
		case fold(name, "cache-control"), fold(name, "pragma"):
			if containsToken(value, "no-cache") || containsToken(value, "no-store") {
				cache = false
			}
		}
	}
	return b, share, cache && share
}

func fold(name []byte, lower string) bool {
	return len(name) == len(lower) && bytes.EqualFold(name, []byte(lower))
}

// head is the part of a request target the cache's purges name: its first
// two path segments ("/transactions/12" for /transactions/12/fees?x=1,
// "/transactions" for /transactions?page=2).
func head(target []byte) []byte {
	if i := bytes.IndexByte(target, '?'); i >= 0 {
		target = target[:i]
	}
	slashes := 0
	for i, c := range target {
		if c == '/' {
			if slashes++; slashes == 3 {
				return target[:i]
			}
		}
	}
	return target
}
