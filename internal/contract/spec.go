package contract

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed openapi.json
var specJSON []byte

// Meta is the generator's record of where openapi.json comes from and what
// it changed (its "x-reportgate" block).
type Meta struct {
	Generator   string   `json:"generator"`
	Source      string   `json:"source"`
	SpecVersion string   `json:"spec_version"`
	SpecSHA256  string   `json:"spec_sha256"`
	Removed     []string `json:"removed"`
	Changes     []Change `json:"changes"`
}

// Change is one departure from the reference spec.
type Change struct {
	Change  string `json:"change"`
	Pointer string `json:"pointer,omitempty"` // JSON pointer of the schema changed
	Reason  string `json:"reason,omitempty"`
	Count   int    `json:"count,omitempty"`
}

// Rewritten is the Change value of a oneOf the generator turned into anyOf.
const Rewritten = "oneOf to anyOf"

// SpecMeta returns the embedded description's Meta.
func SpecMeta() (Meta, error) {
	var d struct {
		Meta Meta `json:"x-reportgate"`
	}
	if err := json.Unmarshal(specJSON, &d); err != nil {
		return Meta{}, fmt.Errorf("contract: parse openapi.json: %w", err)
	}
	return d.Meta, nil
}

// ErrSpec is wrapped when the embedded description cannot be loaded.
var ErrSpec = errors.New("contract: openapi.json")

// LoadSpec parses and validates the embedded description. Each call returns
// a new document, so a caller may change its copy.
func LoadSpec() (*openapi3.T, error) {
	doc, err := parseSpec()
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSpec, err)
	}
	return doc, nil
}

// parseSpec parses without validating (the router validates what it is
// given, once).
func parseSpec() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(specJSON)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSpec, err)
	}
	return doc, nil
}

// Partner credential headers (Ledger's help centre: reporting keys
// authenticate with these two; the spec does not mention them).
const (
	HeaderReportingKey = "X-Ledger-Reporting-API-Key"
	HeaderWorkspace    = "X-Ledger-Workspace"
)

// Names of the partner hop's security schemes, added to its view.
const (
	schemeReportingKey = "Reporting_API_Key"
	schemeWorkspace    = "Ledger_Workspace"
)

// partnerView turns doc into what a partner calling the gateway sees: the
// reporting-key headers in place of the operator schemes, and the
// gateway's DELETE /notifications/configuration (204, or an Error).
func partnerView(doc *openapi3.T) error {
	for name, header := range map[string]string{schemeReportingKey: HeaderReportingKey, schemeWorkspace: HeaderWorkspace} {
		doc.Components.SecuritySchemes[name] = &openapi3.SecuritySchemeRef{
			Value: openapi3.NewSecurityScheme().WithType("apiKey").WithIn("header").WithName(header)}
	}
	doc.Security = openapi3.SecurityRequirements{{schemeReportingKey: {}, schemeWorkspace: {}}}
	item := doc.Paths.Value(notificationsPath)
	if item == nil {
		return fmt.Errorf("%w: no %s", ErrSpec, notificationsPath)
	}
	op := openapi3.NewOperation()
	op.Responses = openapi3.NewResponses(openapi3.WithStatus(204, &openapi3.ResponseRef{
		Value: openapi3.NewResponse().WithDescription("")}))
	item.Delete = op
	return nil
}

const notificationsPath = "/notifications/configuration"
