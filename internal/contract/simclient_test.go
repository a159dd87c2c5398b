package contract_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"reportgate/internal/contract"
	"reportgate/internal/ledgersim"
)

// simClient calls a simulator with the operator's credentials and checks
// every exchange with a recorder.
type simClient struct {
	t         *testing.T
	url       string
	rec       *contract.Recorder
	anonymous bool // send no operator header
}

// do sends one request and returns the exchange as checked.
func (c *simClient) do(method, target string, body []byte) contract.Exchange {
	c.t.Helper()
	req, err := http.NewRequest(method, c.url+target, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	} else {
		req.Header.Set("Content-Type", "application/json")
	}
	if !c.anonymous {
		req.Header.Set(ledgersim.HeaderAPIUser, ledgersim.DefaultAPIUser)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.RequestURI = target
	return contract.FromHTTP(contract.Upstream, req, body, resp, respBody)
}

// get sends a request the spec allows and wants one of the statuses.
func (c *simClient) get(target string, want ...int) contract.Exchange {
	c.t.Helper()
	x := c.do(http.MethodGet, target, nil)
	c.rec.Check(x)
	c.wantStatus(x, want)
	return x
}

// refused sends a request the spec refuses and wants one of the statuses.
func (c *simClient) refused(method, target string, want ...int) {
	c.t.Helper()
	x := c.do(method, target, nil)
	c.rec.CheckRefused(x)
	c.wantStatus(x, want)
}

func (c *simClient) wantStatus(x contract.Exchange, want []int) {
	c.t.Helper()
	for _, w := range want {
		if x.Status == w {
			return
		}
	}
	c.t.Errorf("%s %s: status %d, want %v: %s", x.Method, x.Target, x.Status, want, x.ResponseBody)
}

// json decodes a 200 answer into v.
func (c *simClient) json(target string, v any) {
	c.t.Helper()
	x := c.get(target, http.StatusOK)
	if err := json.Unmarshal(x.ResponseBody, v); err != nil {
		c.t.Fatalf("%s: %v", target, err)
	}
}

// fill replaces each {name} of a path template with vals[name].
func fill(template string, vals map[string]string) string {
	for k, v := range vals {
		template = strings.ReplaceAll(template, "{"+k+"}", v)
	}
	return template
}
