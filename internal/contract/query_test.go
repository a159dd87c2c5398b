package contract_test

import (
	"net/url"
	"strconv"

	"reportgate/internal/spec"
)

// queryValues are values the spec allows for parameters whose type says
// too little: amounts are decimal strings, and the range parameters span
// more than a year (more than 100 Tezos cycles), which the spec does not
// limit.
var queryValues = map[string][]string{
	"currency":       {"bitcoin"},
	"order_by":       {"created_on"},
	"min_amount":     {"1"},
	"max_amount":     {"100000000000000000000000"},
	"page":           {"1"},
	"page_size":      {"5"},
	"created_after":  {"2023-06-01T00:00:00Z"},
	"created_before": {"2030-01-01T00:00:00Z"},
	"start":          {"2024-01-01T00:00:00Z"},
	"end":            {"2025-06-30T00:00:00Z"},
	"start_date":     {"2024-01-01"},
	"end_date":       {"2025-06-30"},
	"start_cycle":    {"600"},
	"end_cycle":      {"900"},
}

// required is a query string with the route's required query parameters.
func required(route spec.Route) string {
	q := url.Values{}
	for _, p := range route.Params {
		if p.In == "query" && p.Required {
			q[p.Name] = valuesOf(p)
		}
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// everyParam is a query string that gives each query parameter of route a
// value the spec allows (arrays get two).
func everyParam(route spec.Route) string {
	q := url.Values{}
	for _, p := range route.Params {
		if p.In == "query" {
			q[p.Name] = valuesOf(p)
		}
	}
	return q.Encode()
}

func valuesOf(p spec.Param) []string {
	if v, ok := queryValues[p.Name]; ok {
		return v
	}
	var vals []string
	switch {
	case len(p.Enum) > 0:
		vals = p.Enum
	case p.Type == "integer":
		vals = []string{"1", "2"}
	case p.Type == "number":
		vals = []string{"1.5", "2"}
	case p.Type == "boolean":
		vals = []string{"true"}
	case p.Format == "date-time":
		vals = []string{"2024-06-01T00:00:00Z"}
	case p.Format == "date":
		vals = []string{"2024-06-01"}
	default:
		vals = []string{"a" + strconv.Itoa(len(p.Name)), "b"}
	}
	if !p.Array {
		return vals[:1]
	}
	return vals[:min(2, len(vals))]
}
