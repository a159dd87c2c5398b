package proxy

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestConnCap: a client address holds at most max connections; the next is
// answered 429 in the Error shape and closed, and a place freed by a close
// is given again.
func TestConnCap(t *testing.T) {
	t.Parallel()
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := make(chan net.Addr, 4)
	ln := capConns(raw, 2, func(a net.Addr) { refused <- a })
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	dial := func() net.Conn {
		t.Helper()
		c, err := net.Dial("tcp", raw.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	next := func() net.Conn {
		t.Helper()
		select {
		case c := <-accepted:
			return c
		case <-time.After(5 * time.Second):
			t.Fatal("no connection accepted")
			return nil
		}
	}
	dial()
	dial()
	first, _ := next(), next()

	third := dial()
	_ = third.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(third), nil)
	if err != nil {
		t.Fatalf("third connection: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	var e struct {
		Message    string `json:"message"`
		Name       string `json:"name"`
		StatusCode int    `json:"status_code"`
	}
	if resp.StatusCode != 429 || resp.Header.Get("Content-Type") != "application/json" ||
		json.Unmarshal(body, &e) != nil || e.StatusCode != 429 || e.Name != "TooManyRequests" || e.Message == "" {
		t.Errorf("third connection: %d %v %s, want 429 in the Error shape", resp.StatusCode, resp.Header, body)
	}
	if _, err := third.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("third connection after the answer: %v, want closed", err)
	}
	select {
	case <-refused:
	case <-time.After(5 * time.Second):
		t.Error("the refusal was not reported")
	}

	first.Close()
	first.Close() // a second close gives no second place
	dial()
	next()
	fourth := dial()
	_ = fourth.SetReadDeadline(time.Now().Add(5 * time.Second))
	if resp, err := http.ReadResponse(bufio.NewReader(fourth), nil); err != nil || resp.StatusCode != 429 {
		t.Errorf("a connection beyond the cap after one was freed and taken again: %v %v, want 429", resp, err)
	}
}
