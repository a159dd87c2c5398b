package ledgersim

import (
	"net/http"
	"slices"
	"sync"
	"time"
)

// RecordedRequest is a request the simulator received outside /_sim/, as
// it arrived. Header holds every header line in Go's canonical key form
// (values and their order kept); Host is apart because net/http moves it
// out of the header map.
type RecordedRequest struct {
	Seq        int         `json:"seq"`
	Time       time.Time   `json:"time"`
	Method     string      `json:"method"`
	Path       string      `json:"path"`        // decoded
	RawQuery   string      `json:"raw_query"`   // as sent, without '?'
	RequestURI string      `json:"request_uri"` // the request line's target
	Host       string      `json:"host"`
	Header     http.Header `json:"header"`
}

// recordLimit is how many requests the recorder keeps.
const recordLimit = 1000

// recorder keeps the last recordLimit requests in a ring. Safe for
// concurrent use.
type recorder struct {
	mu   sync.Mutex
	ring []RecordedRequest
	next int // index the next request goes to once the ring is full
	seq  int
}

func (rc *recorder) add(r *http.Request, now time.Time) {
	rr := RecordedRequest{Time: now, Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
		RequestURI: r.RequestURI, Host: r.Host, Header: r.Header.Clone()}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.seq++
	rr.Seq = rc.seq
	if len(rc.ring) < recordLimit {
		rc.ring = append(rc.ring, rr)
		return
	}
	rc.ring[rc.next] = rr
	rc.next = (rc.next + 1) % recordLimit
}

// since returns the kept requests with a sequence number above seq, oldest
// first, as copies.
func (rc *recorder) since(seq int) []RecordedRequest {
	rc.mu.Lock()
	ordered := append(slices.Clone(rc.ring[rc.next:]), rc.ring[:rc.next]...)
	rc.mu.Unlock()
	out := make([]RecordedRequest, 0, len(ordered))
	for _, rr := range ordered {
		if rr.Seq > seq {
			rr.Header = rr.Header.Clone()
			out = append(out, rr)
		}
	}
	return out
}

// reset forgets the kept requests; sequence numbers keep growing, so a
// client's since= stays meaningful.
func (rc *recorder) reset() {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.ring, rc.next = nil, 0
}
