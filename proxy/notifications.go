package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"

	"github.com/valyala/fasthttp"

	"reportgate/internal/egress"
	"reportgate/internal/strictjson"
	"reportgate/registry"
)

// WebhookStore keeps partners' webhook configurations (the registry).
type WebhookStore interface {
	GetWebhook(ctx context.Context, keyID string) (registry.Webhook, error)
	PutWebhook(ctx context.Context, keyID string, w registry.Webhook) error
	DeleteWebhook(ctx context.Context, keyID string) error
}

// Limits of a partner webhook.
const (
	maxWebhookURL    = 2048
	minWebhookSecret = 16
	maxWebhookSecret = 256
)

// configuration is the upstream's Configuration body. Webhook is a pointer
// because the upstream accepts null for "no webhook".
type configuration struct {
	All *struct {
		Webhook *webhookBody `json:"webhook"`
	} `json:"all"`
}

type webhookBody struct {
	URL    string  `json:"url"`
	Secret *string `json:"secret,omitempty"`
}

var (
	errNoConfiguration = newError(404, "not_found", "Current user doesn't have any configuration")
	// errWebhooksOff: the gateway has no seal key, so it cannot keep a
	// webhook secret (registry.ErrNoSealKey).
	errWebhooksOff = newError(503, "webhooks_disabled", "partner notifications are not enabled on this gateway: its operator has not configured a webhook seal key")
)

// notifications serves GET, PUT and DELETE /notifications/configuration
// for the calling key, never forwarding them: upstream, the configuration
// is the operator's own (DESIGN §4, gateway strategy).
func (p *Proxy) notifications(ctx *fasthttp.RequestCtx, st *state) error {
	st.answered = true
	keyID := st.who.ID
	switch string(ctx.Method()) {
	case fasthttp.MethodGet:
		w, err := p.deps.Webhooks.GetWebhook(ctx, keyID)
		if err != nil {
			return webhookStoreError(err)
		}
		return p.writeConfiguration(ctx, w.URL)
	case fasthttp.MethodDelete:
		if err := p.deps.Webhooks.DeleteWebhook(ctx, keyID); err != nil {
			return webhookStoreError(err)
		}
		ctx.Response.SetStatusCode(fasthttp.StatusNoContent)
		return nil
	}
	w, err := p.parseConfiguration(ctx.Request.Body())
	if err != nil {
		return err
	}
	if w == nil { // {"all": {"webhook": null}}: no webhook
		if err := p.deps.Webhooks.DeleteWebhook(ctx, keyID); err != nil && !errors.Is(err, registry.ErrNotFound) {
			return webhookStoreError(err)
		}
		return p.writeConfiguration(ctx, "")
	}
	if err := p.deps.Webhooks.PutWebhook(ctx, keyID, *w); err != nil {
		return webhookStoreError(err)
	}
	p.opts.Logger.Info("partner webhook set", "key_id", keyID, "host", hostOf(w.URL))
	return p.writeConfiguration(ctx, w.URL)
}

func webhookStoreError(err error) error {
	if errors.Is(err, registry.ErrNotFound) {
		return errNoConfiguration
	}
	if errors.Is(err, registry.ErrNoSealKey) {
		return errWebhooksOff
	}
	return errRegistryDown
}

// writeConfiguration answers the configuration; the secret is write-only.
func (p *Proxy) writeConfiguration(ctx *fasthttp.RequestCtx, u string) error {
	var body []byte
	if u == "" {
		body = []byte(`{"all":{"webhook":null}}`)
	} else {
		body, _ = json.Marshal(map[string]any{"all": map[string]any{"webhook": map[string]string{"url": u}}})
	}
	ctx.Response.SetStatusCode(fasthttp.StatusOK)
	ctx.Response.Header.SetContentType("application/json")
	ctx.Response.SetBody(body)
	return nil
}

// parseConfiguration checks a PUT body with precise errors; nil, nil means
// the partner removes its webhook.
func (p *Proxy) parseConfiguration(body []byte) (*registry.Webhook, error) {
	bad := func(format string, args ...any) (*registry.Webhook, error) {
		return nil, newError(400, "bad_configuration", format, args...)
	}
	var c configuration
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return bad("the body must be {\"all\": {\"webhook\": {\"url\": \"https://…\", \"secret\": \"…\"}}}: %v", err)
	}
	if dec.More() {
		return bad("unexpected data after the JSON body")
	}
	// encoding/json folds case and keeps the last of duplicates: refuse both.
	var names *strictjson.NameError
	if errors.As(strictjson.CheckNames(body, &c), &names) {
		return bad("%s", names.Reason())
	}
	if c.All == nil {
		return bad("\"all\" is required")
	}
	wb := c.All.Webhook
	if wb == nil {
		return nil, nil
	}
	if err := p.checkWebhookURL(wb.URL); err != nil {
		return bad("webhook.url: %v", err)
	}
	if wb.Secret == nil {
		return bad("webhook.secret is required: deliveries are signed with it")
	}
	if n := len(*wb.Secret); n < minWebhookSecret || n > maxWebhookSecret {
		return bad("webhook.secret must have %d to %d bytes, has %d", minWebhookSecret, maxWebhookSecret, n)
	}
	return &registry.Webhook{URL: wb.URL, Secret: *wb.Secret}, nil
}

// checkWebhookURL accepts absolute https URLs without credentials or
// fragment, whose host is a name or a public address (egress); loopback
// hosts, over http too, only when allowed (tests and the demo).
func (p *Proxy) checkWebhookURL(raw string) error {
	if raw == "" || len(raw) > maxWebhookURL {
		return errors.New("give an absolute https URL of at most 2048 bytes")
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return errors.New("does not parse as a URL")
	case u.User != nil:
		return errors.New("must not carry credentials")
	case u.Fragment != "" || u.Host == "" || !u.IsAbs():
		return errors.New("give an absolute URL without fragment")
	case egress.CheckHost(u.Hostname(), p.opts.AllowLoopbackHTTPWebhooks) != nil:
		return errors.New("must reach a public address: loopback, private, link-local and reserved ranges are refused")
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && p.opts.AllowLoopbackHTTPWebhooks && egress.Loopback(u.Hostname()):
		return nil
	case u.Scheme == "http":
		return errors.New("must use https")
	}
	return errors.New("scheme must be https")
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}
