package config

import (
	"fmt"
	"strings"

	"reportgate/internal/seal"
)

// validateSeal parses the webhook seal keys into Seal. The keys are secrets:
// no problem quotes them, only their ids.
func (c *Config) validateSeal(add func(flag, problem, fix string)) {
	const fix = "give <id>:<base64 of 32 random bytes>, e.g. k1:$(head -c 32 /dev/urandom | base64)"
	c.Seal = nil // derived again on every Validate
	var prev []seal.Key
	for _, s := range strings.Split(c.WebhookSealPreviousKeys, ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		k, err := seal.ParseKey(s)
		if err != nil {
			add("webhook-seal-previous-keys", err.Error(), fix+", comma-separated")
			continue
		}
		prev = append(prev, k)
	}
	if c.WebhookSealKey == "" {
		if len(prev) > 0 {
			add("webhook-seal-key", "not set, while previous keys are", "give the current key; previous keys only open what they sealed")
		}
		if c.ApproverWebhookURL != "" {
			add("webhook-seal-key", "not set, while --approver-webhook-url is: approver notifications queue their secret in Redis",
				"give a seal key (see README § Webhook secrets)")
		}
		return
	}
	cur, err := seal.ParseKey(c.WebhookSealKey)
	if err != nil {
		add("webhook-seal-key", err.Error(), fix)
		return
	}
	ring, err := seal.NewKeyring(cur, prev...)
	if err != nil {
		add("webhook-seal-previous-keys", err.Error(), fmt.Sprintf("give each key its own id (the current one is %q)", cur.ID()))
		return
	}
	c.Seal = ring
}
