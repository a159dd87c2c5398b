package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// answer validates x's response to the request in: against the documented
// response for its status, else against the Error schema. refused says the
// request breaks the spec, so only an error status may answer it.
func (vw *view) answer(in *openapi3filter.RequestValidationInput, x Exchange, refused bool) error {
	var problems []string
	if refused && x.Status < 400 {
		problems = append(problems, fmt.Sprintf("status %d answers a request the spec refuses", x.Status))
	}
	documented := in.Route.Operation.Responses.Status(x.Status) != nil
	switch {
	case x.Method == http.MethodHead:
		// No body to check.
	case documented:
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: x.Status,
			Header: canonical(x.ResponseHeader), Options: &openapi3filter.Options{MultiError: true}}
		out.SetBodyBytes(x.ResponseBody)
		if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
			problems = append(problems, describe(err)...)
		}
	default:
		problems = append(problems, vw.errorBody(x)...)
	}
	return violation("response", fmt.Sprintf("status %d", x.Status), problems)
}

// refusal validates the answer to a request that names no operation or
// cannot be read: an error status with an Error body.
func (vw *view) refusal(x Exchange) error {
	var problems []string
	if x.Status < 400 {
		problems = append(problems, fmt.Sprintf("status %d answers a request the spec refuses", x.Status))
	}
	if x.Method != http.MethodHead {
		problems = append(problems, vw.errorBody(x)...)
	}
	return violation("response", fmt.Sprintf("status %d", x.Status), problems)
}

// errorBody checks an answer the operation does not document: a JSON
// Error, exactly as the spec's Error schema says.
func (vw *view) errorBody(x Exchange) []string {
	ct := canonical(x.ResponseHeader).Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return []string{fmt.Sprintf("undocumented status %d: Content-Type %q, want an application/json Error", x.Status, ct)}
	}
	dec := json.NewDecoder(bytes.NewReader(x.ResponseBody))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return []string{fmt.Sprintf("undocumented status %d: body is not JSON: %v", x.Status, err)}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return []string{fmt.Sprintf("undocumented status %d: data after the JSON value", x.Status)}
	}
	if err := vw.errSchema.VisitJSON(v, openapi3.MultiErrors()); err != nil {
		return prefix(fmt.Sprintf("undocumented status %d, Error schema: ", x.Status), describe(err))
	}
	return nil
}

func violation(side, context string, problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	return &Violation{Side: side, Problems: prefix(context+": ", problems)}
}

func prefix(p string, xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = p + x
	}
	return out
}

// describe flattens the library's errors into one line per problem,
// without the schema dumps its Error methods print.
func describe(err error) []string {
	var (
		multi   openapi3.MultiError
		schema  *openapi3.SchemaError
		reqErr  *openapi3filter.RequestError
		respErr *openapi3filter.ResponseError
		secErr  *openapi3filter.SecurityRequirementsError
	)
	switch {
	case errors.As(err, &multi):
		var out []string
		for _, e := range multi {
			out = append(out, describe(e)...)
		}
		return out
	case errors.As(err, &secErr):
		var msgs []string
		for _, e := range secErr.Errors {
			msgs = append(msgs, describe(e)...)
		}
		return []string{"credentials: " + strings.Join(slices.Compact(msgs), " / ")}
	case errors.As(err, &reqErr):
		where := "request"
		if p := reqErr.Parameter; p != nil {
			where = fmt.Sprintf("%s parameter %q", p.In, p.Name)
		} else if reqErr.RequestBody != nil {
			where = "request body"
		}
		return nested(where, reqErr.Reason, reqErr.Err)
	case errors.As(err, &respErr):
		return nested("body", respErr.Reason, respErr.Err)
	case errors.As(err, &schema):
		return []string{schemaProblem(schema)}
	}
	return []string{err.Error()}
}

func nested(where, reason string, inner error) []string {
	if inner == nil {
		return []string{where + ": " + reason}
	}
	p := where + ": "
	if reason != "" {
		p += reason + ": "
	}
	return prefix(p, describe(inner))
}

// schemaProblem names the value's place and the rule it breaks; for a
// value no alternative of a oneOf or anyOf accepts, it adds why.
func schemaProblem(e *openapi3.SchemaError) string {
	ptr := "/" + strings.Join(e.JSONPointer(), "/")
	msg := fmt.Sprintf("at %s: %s", ptr, e.Reason)
	if e.Origin != nil && (e.SchemaField == "oneOf" || e.SchemaField == "anyOf") && strings.Contains(e.Reason, "doesn't match") {
		msg += " (" + strings.Join(describe(e.Origin), "; ") + ")"
	}
	return msg
}
