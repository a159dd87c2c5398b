package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client calls the admin API; the CLI's `keys` commands use it. It is safe
// for concurrent use.
type Client struct {
	base  *url.URL
	token string
	http  *http.Client
}

// APIError is an error answered by the admin API (its ErrorBody).
type APIError ErrorBody

func (e *APIError) Error() string {
	return fmt.Sprintf("admin API: %d %s: %s", e.StatusCode, e.Name, e.Message)
}

// NewClient returns a client of the admin API at baseURL (http or https, no
// path) authenticating with token. A nil httpClient gets one with a 30 s
// timeout.
func NewClient(baseURL, token string, httpClient *http.Client) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("admin: %q is not an http(s) URL of the admin API", baseURL)
	}
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{base: u, token: token, http: httpClient}, nil
}

// Do sends one call and decodes a 2xx answer into out (if not nil). Any
// other answer is an *APIError.
func (c *Client) Do(ctx context.Context, method, path string, q url.Values, body, out any) error {
	u := c.base.JoinPath(path)
	u.RawQuery = q.Encode()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("admin API: %w", err)
	}
	defer resp.Body.Close()
	return decodeResponse(resp, out)
}

func decodeResponse(resp *http.Response, out any) error {
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("admin API: read answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		apiErr := &APIError{}
		if json.Unmarshal(b, apiErr) != nil || apiErr.StatusCode == 0 {
			return &APIError{StatusCode: resp.StatusCode, Name: resp.Status, Message: strings.TrimSpace(string(b))}
		}
		return apiErr
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("admin API: decode answer: %w", err)
	}
	return nil
}

func pageQuery(cursor string, limit int) url.Values {
	q := url.Values{}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	return q
}

// ListKeys is GET /v1/keys.
func (c *Client) ListKeys(ctx context.Context, cursor string, limit int) (out KeyList, err error) {
	err = c.Do(ctx, "GET", "/v1/keys", pageQuery(cursor, limit), nil, &out)
	return out, err
}

// Key is GET /v1/keys/{id}.
func (c *Client) Key(ctx context.Context, id string) (out Key, err error) {
	err = c.Do(ctx, "GET", "/v1/keys/"+url.PathEscape(id), nil, nil, &out)
	return out, err
}

// CreateKey is POST /v1/keys.
func (c *Client) CreateKey(ctx context.Context, name string, entities []int64) (out KeyAndRequest, err error) {
	return c.Create(ctx, KeyCreate{Name: name, Entities: entities})
}

// KeyCreate is the body of POST /v1/keys; ClientCertSHA256 is left out
// when nil (a key bound to no client certificate).
type KeyCreate struct {
	Name             string
	Entities         []int64
	ClientCertSHA256 *string
}

// Create is POST /v1/keys.
func (c *Client) Create(ctx context.Context, k KeyCreate) (out KeyAndRequest, err error) {
	err = c.Do(ctx, "POST", "/v1/keys", nil, createBody(k), &out)
	return out, err
}

// EditKey is PATCH /v1/keys/{id} of the name and entities; a nil field is
// left out (kept).
func (c *Client) EditKey(ctx context.Context, id string, name *string, entities *[]int64) (out KeyAndRequest, err error) {
	return c.Edit(ctx, id, KeyEdit{Name: name, Entities: entities})
}

// KeyEdit is the body of PATCH /v1/keys/{id}; a nil field is left out
// (kept). RateLimit is "N/s", "N/m" or "default"; RateLimitBurst goes with
// N/s or N/m; ClientCertSHA256 is a certificate's SHA-256 or "none".
type KeyEdit struct {
	Name             *string
	Entities         *[]int64
	RateLimit        *string
	RateLimitBurst   *int
	ClientCertSHA256 *string
}

// Edit is PATCH /v1/keys/{id}.
func (c *Client) Edit(ctx context.Context, id string, e KeyEdit) (out KeyAndRequest, err error) {
	err = c.Do(ctx, "PATCH", "/v1/keys/"+url.PathEscape(id), nil, editBody(e), &out)
	return out, err
}

// Reveal is POST /v1/keys/{id}/reveal.
func (c *Client) Reveal(ctx context.Context, id string) (out Reveal, err error) {
	err = c.Do(ctx, "POST", "/v1/keys/"+url.PathEscape(id)+"/reveal", nil, nil, &out)
	return out, err
}

// KeyAction is POST /v1/keys/{id}/{action} for suspend and unsuspend.
func (c *Client) KeyAction(ctx context.Context, id, action string) (out KeyChange, err error) {
	err = c.Do(ctx, "POST", "/v1/keys/"+url.PathEscape(id)+"/"+action, nil, nil, &out)
	return out, err
}

// Revoke is POST /v1/keys/{id}/revoke.
func (c *Client) Revoke(ctx context.Context, id string) (out KeyAndRequest, err error) {
	err = c.Do(ctx, "POST", "/v1/keys/"+url.PathEscape(id)+"/revoke", nil, nil, &out)
	return out, err
}

// ListRequests is GET /v1/requests; status "" lists all.
func (c *Client) ListRequests(ctx context.Context, status, cursor string, limit int) (out RequestList, err error) {
	q := pageQuery(cursor, limit)
	if status != "" {
		q.Set("status", status)
	}
	err = c.Do(ctx, "GET", "/v1/requests", q, nil, &out)
	return out, err
}

// Request is GET /v1/requests/{id}.
func (c *Client) Request(ctx context.Context, id string) (out Request, err error) {
	err = c.Do(ctx, "GET", "/v1/requests/"+url.PathEscape(id), nil, nil, &out)
	return out, err
}

// Decide is POST /v1/requests/{id}/{verb} for approve, reject and abort.
func (c *Client) Decide(ctx context.Context, id, verb string) (out KeyAndRequest, err error) {
	err = c.Do(ctx, "POST", "/v1/requests/"+url.PathEscape(id)+"/"+verb, nil, nil, &out)
	return out, err
}

// Audit is GET /v1/audit.
func (c *Client) Audit(ctx context.Context, cursor string, limit int) (out AuditPage, err error) {
	err = c.Do(ctx, "GET", "/v1/audit", pageQuery(cursor, limit), nil, &out)
	return out, err
}

// Admins is GET /v1/admins.
func (c *Client) Admins(ctx context.Context) (out AdminList, err error) {
	err = c.Do(ctx, "GET", "/v1/admins", nil, nil, &out)
	return out, err
}
