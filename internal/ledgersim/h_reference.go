package ledgersim

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"time"
)

// This file serves reference and workspace-wide data: certificates,
// compliance checks, currencies and tokens, labels, the organization,
// Tradelink pledges and settlements, and the notification configuration.

func certificateChain(c *call) (any, error) {
	var chain []string
	for _, name := range []string{"ledger-root", "ledger-intermediate", "workspace-hsm"} {
		sum := sha256.Sum256([]byte(fmt.Sprintf("%d/%s", c.s.cfg.Seed, name)))
		body := base64.StdEncoding.EncodeToString(append([]byte(name+":"), sum[:]...))
		chain = append(chain, "-----BEGIN CERTIFICATE-----\n"+body+"\n-----END CERTIFICATE-----\n")
	}
	return chain, nil
}

// addressScore is a stable score 0-99 for an address.
func addressScore(seed int64, address string) int {
	sum := sha256.Sum256([]byte(strconv.FormatInt(seed, 10) + "/" + address))
	return int(sum[0]) % 100
}

func addressRisk(c *call) (any, error) {
	addr := c.r.PathValue("address")
	score := addressScore(c.s.cfg.Seed, addr)
	risk, provider := "LOW", "Low"
	switch {
	case score >= 95:
		risk, provider = "HIGH", "Severe"
	case score >= 80:
		risk, provider = "MEDIUM", "Medium"
	}
	return map[string]any{"address": addr, "risk": risk, "provider_details": map[string]any{
		"risk": provider, "reason": nil, "exposures": []map[string]any{{"category": "exchange", "value": float64(score) / 100}},
	}}, nil
}

func addressSanctions(c *call) (any, error) {
	addr := c.r.PathValue("address")
	sanctioned := addressScore(c.s.cfg.Seed, addr) >= 98
	details := []map[string]string{}
	if sanctioned {
		details = append(details, map[string]string{"category": "sanctions", "name": "Simulated list entry",
			"description": "simulated sanction", "url": "https://example.invalid/sanctions"})
	}
	return map[string]any{"address": addr, "has_sanctions": sanctioned, "provider_details": details}, nil
}

type currencyJSON struct {
	Name                  string         `json:"name"`
	Family                *string        `json:"family"`
	Type                  string         `json:"type"`
	NumConfirmationNeeded int            `json:"num_confirmation_needed"`
	Units                 []currencyUnit `json:"units"`
}

// currencies are the simulated coins' currencies and the two fiat ones.
func currencies() []currencyJSON {
	out := []currencyJSON{}
	for _, co := range coins {
		if co.typ != erc20Type {
			out = append(out, currencyJSON{co.currency, ptr(co.family), "CRYPTO", co.minConf,
				[]currencyUnit{{co.ticker, co.magnitude}}})
		}
	}
	for _, fiat := range []string{"Dollar", "Euro"} {
		out = append(out, currencyJSON{fiat, ptr("fiat"), "FIAT", 0, []currencyUnit{{fiat[:3], 2}}})
	}
	return out
}

func findCurrency(name string) (currencyJSON, error) {
	for _, cur := range currencies() {
		if cur.Name == name {
			return cur, nil
		}
	}
	return currencyJSON{}, notFound("Currency")
}

func listCurrencies(*call) (any, error) {
	return map[string]any{"currencies": currencies()}, nil
}

type tokenJSON struct {
	ContractAddress string         `json:"contract_address"`
	Name            string         `json:"name"`
	ParentCurrency  string         `json:"parent_currency"`
	Units           []currencyUnit `json:"units"`
}

func tokenList() []tokenJSON {
	out := []tokenJSON{}
	for _, t := range tokens {
		out = append(out, tokenJSON{t.contract, t.name, "ethereum", []currencyUnit{{t.ticker, t.magnitude}}})
	}
	return out
}

func listTokens(*call) (any, error) { return map[string]any{"tokens": tokenList()}, nil }

func getCurrency(c *call) (any, error) { return findCurrency(c.r.PathValue("currency_name")) }

func getToken(c *call) (any, error) {
	name, contract := c.r.PathValue("currency_name"), c.r.PathValue("contract_address")
	for _, t := range tokenList() {
		if t.ParentCurrency == name && t.ContractAddress == contract {
			return t, nil
		}
	}
	return nil, notFound("Token")
}

// validateAddress checks the address's shape against the currency's family.
func validateAddress(c *call) (any, error) {
	cur, err := findCurrency(c.r.PathValue("currency_name"))
	if err != nil {
		return nil, err
	}
	return map[string]bool{"is_valid": validAddress(deref(cur.Family), c.r.PathValue("address"))}, nil
}

// labelRow is the spec's Label.
type labelRow struct {
	ID        int       `json:"id"`
	Name      string    `json:"name"`
	Info      LabelInfo `json:"info"`
	CreatedBy int       `json:"created_by"`
	CreatedOn time.Time `json:"created_on"`
	UpdatedBy int       `json:"updated_by"`
	UpdatedOn time.Time `json:"updated_on"`
}

func newLabelRow(l LiteLabel) *labelRow {
	t := baseTime.Add(time.Duration(l.ID) * time.Hour)
	return &labelRow{ID: l.ID, Name: l.Name, Info: l.Info, CreatedBy: 1, CreatedOn: t, UpdatedBy: 1, UpdatedOn: t}
}

func labelRows() []*labelRow {
	out := make([]*labelRow, len(fixedLabels))
	for i, l := range fixedLabels {
		out[i] = newLabelRow(l)
	}
	return out
}

func listLabels(c *call) (any, error) {
	return list(c, labelRows(), stringIn(c.q, "name", func(l *labelRow) string { return l.Name }))
}

func getLabel(c *call) (any, error) { return getByID(c, labelRows(), "label_id", "Label") }

func organization(c *call) (any, error) {
	admins := 0
	for _, u := range c.st.users {
		if u.Role == "ADMIN" {
			admins++
		}
	}
	return map[string]any{"name": "Simulated Workspace", "workspace": "sim", "num_admins": admins,
		"num_shared_owners": 0, "num_wrapping_keys": 3, "quorum": min(2, max(admins, 1))}, nil
}

// getNotificationConfig is the calling API user's configuration, 404 until
// one was set.
func (s *Server) getNotificationConfig(c *call) (any, error) {
	cfg, ok := s.notify.userConfig(c.r.Header.Get(HeaderAPIUser))
	if !ok {
		return nil, notFoundMsg("Current user doesn't have any configuration")
	}
	return cfg, nil
}

// notificationConfig is the spec's Configuration.
type notificationConfig struct {
	All struct {
		Webhook *webhook `json:"webhook"`
	} `json:"all"`
}

// putNotificationConfig stores the calling user's configuration; its
// webhook (or none) becomes where notifications go. URLs may be http as
// well as https, so tests can receive locally.
func (s *Server) putNotificationConfig(c *call) (any, error) {
	var cfg notificationConfig
	if err := decodeBody(c.r, &cfg); err != nil {
		return nil, err
	}
	target := webhook{}
	if w := cfg.All.Webhook; w != nil {
		if err := checkWebhookURL(w.URL); err != nil || w.Secret == "" {
			return nil, badBody("webhook needs an absolute http(s) url and a secret")
		}
		target = *w
	}
	s.notify.setUserConfig(c.r.Header.Get(HeaderAPIUser), cfg, target)
	return cfg, nil
}
