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

// observe hands every exchange outside /_sim/ to Config.Observe once it is
// answered, whatever answered it (authentication, a fault, a handler).
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
		tw := &teeWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(tw, r)
		if !tw.wroteHeader && r.Context().Err() != nil {
			return // the client left before an answer (see delay): nothing was served
		}
		s.cfg.Observe(Exchange{Method: r.Method, RequestURI: r.RequestURI, RequestHeader: r.Header.Clone(),
			RequestBody: reqBody, Status: tw.status, ResponseHeader: w.Header().Clone(), ResponseBody: tw.body.Bytes()})
	})
}

// teeWriter keeps a copy of the status and body it passes on.
type teeWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	body        bytes.Buffer
}

func (t *teeWriter) WriteHeader(status int) {
	if !t.wroteHeader {
		t.status, t.wroteHeader = status, true
	}
	t.ResponseWriter.WriteHeader(status)
}

func (t *teeWriter) Write(p []byte) (int, error) {
	t.wroteHeader = true
	t.body.Write(p)
	return t.ResponseWriter.Write(p)
}
