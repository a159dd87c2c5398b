package ledgersim

import (
	"bytes"
	"io"
	"net/http"
)

// Exchange is one request the simulator answered outside /_sim/ and its
// answer, as Config.Observe sees it. The maps and slices are the
// observer's own.
type Exchange struct {
	Method         string
	RequestURI     string // the request line's target, as sent
	RequestHeader  http.Header
	RequestBody    []byte
	Status         int
	ResponseHeader http.Header
	ResponseBody   []byte
}

// observe hands every exchange outside /_sim/ to Config.Observe, whatever
// answered it (authentication, a fault, a handler). The answer is held
// back until Observe returns, so a client that has its answer knows the
// observer has seen it: tests need no waiting.
func (s *Server) observe(next http.Handler) http.Handler {
	if s.cfg.Observe == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var reqBody []byte
		if r.Body != nil && r.Body != http.NoBody {
			reqBody, _ = io.ReadAll(io.LimitReader(r.Body, maxBody))
			r.Body = io.NopCloser(bytes.NewReader(reqBody))
		}
		held := &heldWriter{header: w.Header(), status: http.StatusOK}
		next.ServeHTTP(held, r)
		if !held.written && r.Context().Err() != nil {
			return // the client left before an answer (see delay): nothing is served
		}
		s.cfg.Observe(Exchange{Method: r.Method, RequestURI: r.RequestURI, RequestHeader: r.Header.Clone(),
			RequestBody: reqBody, Status: held.status, ResponseHeader: w.Header().Clone(),
			ResponseBody: bytes.Clone(held.body.Bytes())})
		w.WriteHeader(held.status)
		w.Write(held.body.Bytes())
	})
}

// heldWriter keeps an answer instead of sending it. The simulator's
// answers are small JSON bodies, never streamed.
type heldWriter struct {
	header  http.Header
	status  int
	written bool
	body    bytes.Buffer
}

func (h *heldWriter) Header() http.Header { return h.header }

func (h *heldWriter) WriteHeader(status int) {
	if !h.written {
		h.status, h.written = status, true
	}
}

func (h *heldWriter) Write(p []byte) (int, error) {
	h.written = true
	return h.body.Write(p)
}
