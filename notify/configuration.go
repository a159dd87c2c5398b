package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"reportgate/internal/apierr"
	"reportgate/internal/egress"
	"reportgate/internal/strictjson"
	"reportgate/policy"
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

// Configurations serves GET, PUT and DELETE /notifications/configuration
// for the calling key (the policy's Gateway strategy), never forwarding
// them: upstream, the configuration is the operator's own. Safe for
// concurrent use.
type Configurations struct {
	store         WebhookStore
	allowLoopback bool
	log           *slog.Logger
}

var _ policy.Local = (*Configurations)(nil)

// NewConfigurations returns the handler over store. allowLoopback lets
// partners register http:// webhooks on a loopback host (tests, the demo);
// otherwise only https to public addresses is accepted.
func NewConfigurations(store WebhookStore, allowLoopback bool, logger *slog.Logger) *Configurations {
	if logger == nil {
		logger = slog.Default()
	}
	return &Configurations{store: store, allowLoopback: allowLoopback, log: logger}
}

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

// refusal is an answer in the Error shape.
type refusal struct {
	status int
	msg    string
}

func (r *refusal) Error() string { return r.msg }

var (
	errNoConfiguration = &refusal{http.StatusNotFound, "Current user doesn't have any configuration"}
	errStoreDown       = &refusal{http.StatusServiceUnavailable, "the key registry is unreachable; retry later"}
	// errWebhooksOff: the gateway has no seal key, so it cannot keep a
	// webhook secret (registry.ErrNoSealKey).
	errWebhooksOff = &refusal{http.StatusServiceUnavailable, "partner notifications are not enabled on this gateway: its operator has not configured a webhook seal key"}
)

// ServeLocal implements policy.Local.
func (c *Configurations) ServeLocal(ctx context.Context, keyID, method string, body []byte) (int, []byte) {
	status, resp, err := c.serve(ctx, keyID, method, body)
	if err != nil {
		var r *refusal
		if !errors.As(err, &r) {
			r = errStoreDown
		}
		return r.status, apierr.Render(r.status, r.msg)
	}
	return status, resp
}

func (c *Configurations) serve(ctx context.Context, keyID, method string, body []byte) (int, []byte, error) {
	switch method {
	case http.MethodGet:
		w, err := c.store.GetWebhook(ctx, keyID)
		if err != nil {
			return 0, nil, storeError(err)
		}
		return http.StatusOK, configurationBody(w.URL), nil
	case http.MethodDelete:
		if err := c.store.DeleteWebhook(ctx, keyID); err != nil {
			return 0, nil, storeError(err)
		}
		return http.StatusNoContent, nil, nil
	}
	w, err := c.parse(body)
	if err != nil {
		return 0, nil, err
	}
	if w == nil { // {"all": {"webhook": null}}: no webhook
		if err := c.store.DeleteWebhook(ctx, keyID); err != nil && !errors.Is(err, registry.ErrNotFound) {
			return 0, nil, storeError(err)
		}
		return http.StatusOK, configurationBody(""), nil
	}
	if err := c.store.PutWebhook(ctx, keyID, *w); err != nil {
		return 0, nil, storeError(err)
	}
	c.log.Info("partner webhook set", "key_id", keyID, "host", hostOf(w.URL))
	return http.StatusOK, configurationBody(w.URL), nil
}

func storeError(err error) error {
	switch {
	case errors.Is(err, registry.ErrNotFound):
		return errNoConfiguration
	case errors.Is(err, registry.ErrNoSealKey):
		return errWebhooksOff
	}
	return errStoreDown
}

// SecretMask stands for the webhook secret in every configuration the
// gateway answers. The secret is write-only, but the spec's Webhook
// requires a secret, and a client generated from the spec refuses an
// answer without one (issue 17): the mask fills the place and tells
// nothing, not even the secret's length. It is shorter than any secret the
// gateway accepts, so it can never be one.
const SecretMask = "********"

// configurationBody is the configuration answered, the secret masked.
func configurationBody(u string) []byte {
	if u == "" {
		return []byte(`{"all":{"webhook":null}}`)
	}
	body, _ := json.Marshal(map[string]any{"all": map[string]any{"webhook": map[string]string{"url": u, "secret": SecretMask}}})
	return body
}

// parse checks a PUT body with precise errors; nil, nil means the partner
// removes its webhook.
func (c *Configurations) parse(body []byte) (*registry.Webhook, error) {
	bad := func(format string, args ...any) (*registry.Webhook, error) {
		return nil, &refusal{http.StatusBadRequest, fmt.Sprintf(format, args...)}
	}
	var conf configuration
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&conf); err != nil {
		return bad("the body must be {\"all\": {\"webhook\": {\"url\": \"https://…\", \"secret\": \"…\"}}}: %v", err)
	}
	if dec.More() {
		return bad("unexpected data after the JSON body")
	}
	// encoding/json folds case and keeps the last of duplicates: refuse both.
	var names *strictjson.NameError
	if errors.As(strictjson.CheckNames(body, &conf), &names) {
		return bad("%s", names.Reason())
	}
	if conf.All == nil {
		return bad("\"all\" is required")
	}
	wb := conf.All.Webhook
	if wb == nil {
		return nil, nil
	}
	if err := c.checkURL(wb.URL); err != nil {
		return bad("webhook.url: %v", err)
	}
	if wb.Secret == nil {
		return bad("webhook.secret is required: deliveries are signed with it")
	}
	// A configuration read back and sent again carries the mask, not the
	// secret: refused, not read as "keep the stored one". A PUT states the
	// whole configuration, and the stored one is then exactly what it
	// stated; keeping a secret it does not carry would be a read-modify-
	// write of the sealed secret that a concurrent DELETE could undo into a
	// resurrected secret. The partner has its secret: it sends it.
	if *wb.Secret == SecretMask {
		return bad("webhook.secret is %q, the mask the gateway answers in place of the secret (it is write-only): send the secret itself", SecretMask)
	}
	if n := len(*wb.Secret); n < minWebhookSecret || n > maxWebhookSecret {
		return bad("webhook.secret must have %d to %d bytes, has %d", minWebhookSecret, maxWebhookSecret, n)
	}
	return &registry.Webhook{URL: wb.URL, Secret: *wb.Secret}, nil
}

// checkURL accepts absolute https URLs without credentials or fragment,
// whose host is a name or a public address (egress); loopback hosts, over
// http too, only when allowed (tests and the demo).
func (c *Configurations) checkURL(raw string) error {
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
	case egress.CheckHost(u.Hostname(), c.allowLoopback) != nil:
		return errors.New("must reach a public address: loopback, private, link-local and reserved ranges are refused")
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && c.allowLoopback && egress.Loopback(u.Hostname()):
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
