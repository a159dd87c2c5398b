package upstream

import (
	"bytes"

	"github.com/valyala/fasthttp"
)

// answer is an upstream answer kept apart from the exchange that read it,
// for the requests that share it: those that joined the exchange in flight
// and the cache's hits. It is immutable once made, so any number of
// goroutines may write it into their responses at once.
type answer struct {
	status int
	// header holds the headers as name, 0, value, 0, … (Content-Length and
	// the hop-by-hop ones left out: the replay recomputes the first, and
	// the proxy scrubs its copy as it does every answer).
	header []byte
	body   []byte
}

// snapshot copies resp into a new answer.
func snapshot(resp *fasthttp.Response) *answer {
	a := &answer{status: resp.StatusCode()}
	for name, value := range resp.Header.All() {
		if skipped(name) {
			continue
		}
		a.header = append(a.header, name...)
		a.header = append(a.header, 0)
		a.header = append(a.header, value...)
		a.header = append(a.header, 0)
	}
	a.body = append([]byte(nil), resp.Body()...)
	return a
}

// skipped are the headers an answer does not keep.
func skipped(name []byte) bool {
	for _, s := range [...]string{"Content-Length", "Connection", "Transfer-Encoding", "Keep-Alive"} {
		if len(name) == len(s) && bytes.EqualFold(name, []byte(s)) {
			return true
		}
	}
	return false
}

// writeTo replaces resp with the answer. It allocates nothing once resp's
// buffers have grown to the answer's size (a pooled response).
func (a *answer) writeTo(resp *fasthttp.Response) {
	resp.Reset()
	resp.SetStatusCode(a.status)
	h := a.header
	for len(h) > 0 {
		i := bytes.IndexByte(h, 0)
		j := i + 1 + bytes.IndexByte(h[i+1:], 0)
		resp.Header.AddBytesKV(h[:i], h[i+1:j])
		h = h[j+1:]
	}
	resp.SetBody(a.body)
}

// size is the answer's memory, roughly: what the cache's bound counts.
func (a *answer) size() int64 { return int64(len(a.header)+len(a.body)) + 64 }

// shareable reports whether an answer may go to other partners than the
// one whose request read it, and whether it may also be cached. Not shared:
// an answer that sets a cookie, or that the upstream says is private or
// not to be stored. Not cached either: anything but a 200, and an answer
// marked no-cache (RFC 9111 §5.2.2.4: not reused without revalidating,
// which the gateway does not do).
func shareable(resp *fasthttp.Response) (share, store bool) {
	share, store = true, resp.StatusCode() == fasthttp.StatusOK
	for name, v := range resp.Header.All() {
		switch {
		case bytes.EqualFold(name, []byte(fasthttp.HeaderSetCookie)):
			return false, false
		case !bytes.EqualFold(name, []byte(fasthttp.HeaderCacheControl)):
		case containsToken(v, "private"), containsToken(v, "no-store"):
			return false, false
		case containsToken(v, "no-cache"):
			store = false
		}
	}
	return share, store
}

// containsToken reports whether the comma-separated list v holds token,
// ASCII case aside, with or without a value ("no-cache=Set-Cookie").
func containsToken(v []byte, token string) bool {
	for len(v) > 0 {
		i := bytes.IndexByte(v, ',')
		if i < 0 {
			i = len(v)
		}
		t := bytes.TrimSpace(v[:i])
		if eq := bytes.IndexByte(t, '='); eq >= 0 {
			t = bytes.TrimSpace(t[:eq])
		}
		if bytes.EqualFold(t, []byte(token)) {
			return true
		}
		if i == len(v) {
			break
		}
		v = v[i+1:]
	}
	return false
}
