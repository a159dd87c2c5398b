package ledgersim

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"reportgate/internal/spec"
)

// query is a query string checked against a route's parameters from
// internal/spec. Its accessors assume the check passed.
type query struct {
	vals url.Values
}

// decimalPattern is the spec's pattern for amounts in base units.
var decimalPattern = regexp.MustCompile(`^[0-9]*(\.[0-9]+)?$`)

// parseQuery checks raw against the route's query parameters: every key
// known, no value empty, scalars given once, each value of the declared
// type, enum, format and bounds, required ones present. Array parameters
// are repeated keys (style form, explode true); a comma list is a single
// value, so "entity=1,2" is not an integer. It reports every problem.
func parseQuery(params map[string]spec.Param, raw string) (query, error) {
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return query{}, badQueryf("malformed query string: %v", err)
	}
	var problems []string
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p, ok := params[k]
		if !ok {
			problems = append(problems, fmt.Sprintf("unknown parameter %q", k))
			continue
		}
		if len(vals[k]) > 1 && !p.Array {
			problems = append(problems, fmt.Sprintf("parameter %q is given %d times but takes one value", k, len(vals[k])))
			continue
		}
		for _, v := range vals[k] {
			if msg := checkValue(p, v); msg != "" {
				problems = append(problems, msg)
			}
		}
	}
	problems = append(problems, missingRequired(params, vals)...)
	if len(problems) > 0 {
		return query{}, badQuery(strings.Join(problems, "; "))
	}
	return query{vals: vals}, nil
}

func missingRequired(params map[string]spec.Param, vals url.Values) []string {
	var out []string
	for name, p := range params {
		if p.Required && !vals.Has(name) {
			out = append(out, fmt.Sprintf("parameter %q is required", name))
		}
	}
	slices.Sort(out)
	return out
}

// checkValue returns what is wrong with one value of p, or "".
func checkValue(p spec.Param, v string) string {
	if v == "" {
		return fmt.Sprintf("parameter %q is empty", p.Name)
	}
	if p.Array && p.Type == "integer" && strings.Contains(v, ",") {
		return fmt.Sprintf("parameter %q is a comma list %q; repeat the key instead (%s=…&%s=…)", p.Name, v, p.Name, p.Name)
	}
	switch p.Type {
	case "integer":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Sprintf("parameter %q must be an integer, got %q", p.Name, v)
		}
		return checkBounds(p, float64(n))
	case "number":
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Sprintf("parameter %q must be a number, got %q", p.Name, v)
		}
		return checkBounds(p, f)
	case "boolean":
		if v != "true" && v != "false" {
			return fmt.Sprintf("parameter %q must be true or false, got %q", p.Name, v)
		}
		return ""
	}
	return checkString(p, v)
}

func checkBounds(p spec.Param, f float64) string {
	if p.Minimum != nil && f < *p.Minimum {
		return fmt.Sprintf("parameter %q must be at least %v, got %v", p.Name, *p.Minimum, f)
	}
	if p.Maximum != nil && f > *p.Maximum {
		return fmt.Sprintf("parameter %q must be at most %v, got %v", p.Name, *p.Maximum, f)
	}
	return ""
}

func checkString(p spec.Param, v string) string {
	if len(p.Enum) > 0 && !slices.Contains(p.Enum, v) {
		return fmt.Sprintf("parameter %q must be one of %s, got %q", p.Name, strings.Join(p.Enum, ", "), v)
	}
	switch p.Format {
	case "date-time":
		if _, err := time.Parse(time.RFC3339, v); err != nil {
			return fmt.Sprintf("parameter %q must be an RFC 3339 date-time, got %q", p.Name, v)
		}
	case "date":
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			return fmt.Sprintf("parameter %q must be a date (YYYY-MM-DD), got %q", p.Name, v)
		}
	}
	if (p.Name == "min_amount" || p.Name == "max_amount") && !decimalPattern.MatchString(v) {
		return fmt.Sprintf("parameter %q must be a decimal amount in base units, got %q", p.Name, v)
	}
	return ""
}

func (q query) has(name string) bool { return q.vals.Has(name) }

func (q query) str(name string) (string, bool) {
	v, ok := q.vals[name]
	if !ok {
		return "", false
	}
	return v[0], true
}

func (q query) strs(name string) []string { return q.vals[name] }

func (q query) int(name string) (int, bool) {
	v, ok := q.str(name)
	if !ok {
		return 0, false
	}
	n, _ := strconv.Atoi(v)
	return n, true
}

func (q query) ints(name string) []int {
	var out []int
	for _, v := range q.vals[name] {
		n, _ := strconv.Atoi(v)
		out = append(out, n)
	}
	return out
}

func (q query) time(name string) (time.Time, bool) {
	v, ok := q.str(name)
	if !ok {
		return time.Time{}, false
	}
	t, _ := time.Parse(time.RFC3339, v)
	return t, true
}

func (q query) date(name string) (time.Time, bool) {
	v, ok := q.str(name)
	if !ok {
		return time.Time{}, false
	}
	t, _ := time.Parse(time.DateOnly, v)
	return t, true
}

func (q query) boolean(name string, def bool) bool {
	v, ok := q.str(name)
	if !ok {
		return def
	}
	return v == "true"
}

// with returns q with name set to the one value v.
func (q query) with(name, v string) query {
	vals := url.Values{}
	for k, vs := range q.vals {
		vals[k] = vs
	}
	vals[name] = []string{v}
	return query{vals: vals}
}

// without returns q minus the named parameters.
func (q query) without(names []string) query {
	vals := url.Values{}
	for k, v := range q.vals {
		if !slices.Contains(names, k) {
			vals[k] = v
		}
	}
	return query{vals: vals}
}
