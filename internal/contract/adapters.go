package contract

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"

	"github.com/valyala/fasthttp"
)

// FromHTTP builds an exchange from a net/http request and response and
// the bodies the caller read (the response's Body is not read here).
func FromHTTP(hop Hop, req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) Exchange {
	target := req.RequestURI
	if target == "" {
		target = req.URL.RequestURI()
	}
	return Exchange{Hop: hop, Method: req.Method, Target: target, RequestHeader: req.Header.Clone(),
		RequestBody: reqBody, Status: resp.StatusCode, ResponseHeader: resp.Header.Clone(), ResponseBody: respBody}
}

// FromFastHTTP builds an exchange from a fasthttp request and its response,
// copying what it keeps (fasthttp reuses its buffers).
func FromFastHTTP(hop Hop, req *fasthttp.Request, resp *fasthttp.Response) Exchange {
	x := Exchange{Hop: hop, Method: string(req.Header.Method()), Target: string(req.Header.RequestURI()),
		RequestHeader: http.Header{}, RequestBody: bytes.Clone(req.Body()), Status: resp.StatusCode(),
		ResponseHeader: http.Header{}, ResponseBody: bytes.Clone(resp.Body())}
	for k, v := range req.Header.All() {
		x.RequestHeader.Add(string(k), string(v))
	}
	for k, v := range resp.Header.All() {
		x.ResponseHeader.Add(string(k), string(v))
	}
	return x
}

// FromRaw builds an exchange from a request written byte for byte (as the
// gateway's end-to-end tests send them) and the response read back. A
// request net/http cannot parse gets no method and a target saying why:
// the validator then wants an error status with an Error body.
func FromRaw(hop Hop, rawRequest string, status int, respHeader http.Header, respBody []byte) Exchange {
	x := Exchange{Hop: hop, Status: status, ResponseHeader: respHeader, ResponseBody: respBody}
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader([]byte(rawRequest))))
	if err != nil {
		x.Target = fmt.Sprintf("(unreadable request: %v)", err)
		return x
	}
	defer req.Body.Close()
	x.Method, x.Target, x.RequestHeader = req.Method, req.RequestURI, req.Header
	x.RequestBody, _ = io.ReadAll(req.Body)
	return x
}
