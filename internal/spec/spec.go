package spec

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
)

//go:embed routes.json
var routesJSON []byte

// Param is one parameter of an operation.
type Param struct {
	Name     string   `json:"name"`
	In       string   `json:"in"`    // "path" or "query"
	Type     string   `json:"type"`  // "integer", "string", "boolean", "number"
	Array    bool     `json:"array"` // repeated keys (style form, explode true)
	Required bool     `json:"required"`
	Enum     []string `json:"enum"`
	Format   string   `json:"format"` // "date-time", "date", … or empty
	Minimum  *float64 `json:"minimum"`
	Maximum  *float64 `json:"maximum"`
}

// Route is one operation of the spec.
type Route struct {
	Method   string  `json:"method"`
	Path     string  `json:"path"` // template, e.g. /accounts/{account_id}
	Params   []Param `json:"params"`
	Response string  `json:"response"` // schema name of the 200 body; "X[]" for arrays
	Tag      string  `json:"tag"`
	Staking  string  `json:"staking"`
}

// Document is the whole generated file.
type Document struct {
	Source      string  `json:"source"`
	SpecVersion string  `json:"spec_version"`
	SpecSHA256  string  `json:"spec_sha256"`
	Routes      []Route `json:"routes"`
}

// Load parses the embedded route list. Each call returns a fresh copy, so
// callers may keep and modify it.
func Load() (Document, error) {
	var d Document
	if err := json.Unmarshal(routesJSON, &d); err != nil {
		return Document{}, fmt.Errorf("spec: parse routes.json: %w", err)
	}
	return d, nil
}

// QueryParams returns the route's query parameters by name.
func (r Route) QueryParams() map[string]Param {
	m := make(map[string]Param, len(r.Params))
	for _, p := range r.Params {
		if p.In == "query" {
			m[p.Name] = p
		}
	}
	return m
}

// Segments splits the path template into its segments; a segment that is a
// parameter keeps its braces ("{account_id}").
func (r Route) Segments() []string {
	return strings.Split(strings.TrimPrefix(r.Path, "/"), "/")
}
