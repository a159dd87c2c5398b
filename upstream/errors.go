package upstream

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fastjson"
)

var (
	// ErrEncoded: Fetch got a content-encoded body, which no caller could
	// check. The client never asks for an encoding; an upstream that sends
	// one anyway is answered as a failure.
	ErrEncoded = errors.New("upstream: the response is content-encoded")
	// ErrHeaderTooLarge: the answer's status line and headers do not fit
	// Options.MaxResponseHeaderBytes. Not retried: the same answer would
	// come again.
	ErrHeaderTooLarge = errors.New("upstream: the response headers exceed the gateway's read buffer")
	// ErrClosed: the client was aborted (Abort) before or during the
	// exchange.
	ErrClosed = errors.New("upstream: the client was aborted (shutdown)")
)

// StatusRateLimited is the upstream's status for a breached rate limit.
const StatusRateLimited = 420

// maxMessageBytes bounds the upstream's message kept in a StatusError: it
// is for a log line.
const maxMessageBytes = 256

// StatusError is an answer that is not data: a 5xx (the upstream failed;
// from Do and Fetch) or 420 (the upstream's rate limit; from Fetch).
type StatusError struct {
	// Status is the upstream's.
	Status int
	// Message is what the upstream said: its Error body's "message", or
	// the start of any other body, at most 256 bytes, printable only, with
	// the operator's API key replaced by "[redacted]" if the upstream
	// echoed it. For logs; never for partners.
	Message string
	// RetryAfter is the upstream's Retry-After in seconds, 0 when absent
	// or not a number of seconds.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	return "upstream: answered " + strconv.Itoa(e.Status) + ": " + strconv.Quote(e.Message)
}

// Timeout reports whether the upstream said it timed out itself (504), so
// the answer is the gateway's timeout too.
func (e *StatusError) Timeout() bool { return e.Status == fasthttp.StatusGatewayTimeout }

// statusError reads resp into a StatusError.
func (c *Client) statusError(resp *fasthttp.Response) *StatusError {
	e := &StatusError{Status: resp.StatusCode(), Message: c.message(resp.Body())}
	if s, err := strconv.Atoi(string(resp.Header.Peek(fasthttp.HeaderRetryAfter))); err == nil && s >= 0 && s <= 86400 {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	return e
}

// message is what the upstream said in body, safe for a log line.
func (c *Client) message(body []byte) string {
	msg := body
	if v, err := fastjson.ParseBytes(body); err == nil {
		if m := v.GetStringBytes("message"); m != nil {
			msg = m
		}
	}
	if len(c.key) > 0 {
		// Before the cut, so that a key across the bound is redacted too.
		msg = bytes.ReplaceAll(msg, c.key, []byte("[redacted]"))
	}
	s := strings.ToValidUTF8(string(msg[:min(len(msg), maxMessageBytes)]), "")
	return strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, s)
}

// failure maps what fasthttp reports about an exchange that got no
// complete answer.
func (c *Client) failure(err error) error {
	if c.conns.isClosed() {
		return ErrClosed
	}
	if _, ok := errors.AsType[*fasthttp.ErrSmallBuffer](err); ok {
		return ErrHeaderTooLarge
	}
	return err
}
