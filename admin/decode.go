package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"reportgate/internal/strictjson"
)

// MaxBodyBytes bounds a request body; the largest legitimate body, a key
// with 1000 entities, is about 20 KiB.
const MaxBodyBytes = 32 << 10

// decodeBody reads exactly one JSON object into dst, refusing unknown
// fields, trailing data and bodies over MaxBodyBytes. With optional, an empty
// body is accepted (the action routes take none). Member names must be
// spelled exactly as documented and given once (strictjson): encoding/json
// alone would match "ENTITIES" to entities and keep the last of two.
func decodeBody(w http.ResponseWriter, r *http.Request, dst any, optional bool) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		return bodyError(err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		if errors.Is(err, io.EOF) && optional {
			return nil
		}
		return bodyError(err)
	}
	if err := dec.Decode(&json.RawMessage{}); !errors.Is(err, io.EOF) {
		if err == nil {
			return badRequest("request body: unexpected data after the JSON object")
		}
		return bodyError(err)
	}
	var names *strictjson.NameError
	if err := strictjson.CheckNames(body, dst); errors.As(err, &names) {
		return badRequest("request body: " + names.Reason())
	} else if err != nil {
		return badRequest("request body: malformed JSON") // decoded above: cannot happen
	}
	return nil
}

func bodyError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return &apiError{http.StatusRequestEntityTooLarge, fmt.Sprintf("request body: larger than %d bytes", tooBig.Limit)}
	case errors.Is(err, io.EOF):
		return badRequest("request body: empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("request body: malformed JSON: unexpected end of the body")
	case errors.As(err, &syntax):
		return badRequest(fmt.Sprintf("request body: malformed JSON at byte %d: %s", syntax.Offset, syntax.Error()))
	case errors.As(err, &typ) && typ.Field != "":
		return badRequest(fmt.Sprintf("request body: field %q: got a JSON %s, want %s", typ.Field, typ.Value, typeName(typ.Type.String())))
	case errors.As(err, &typ):
		return badRequest(fmt.Sprintf("request body: a JSON %s where an object is expected", typ.Value))
	}
	// DisallowUnknownFields reports `json: unknown field "x"` without a type.
	return badRequest("request body: " + strings.TrimPrefix(err.Error(), "json: "))
}

func typeName(goType string) string {
	switch goType {
	case "int64":
		return "a positive integer"
	case "[]int64":
		return "an array of integers"
	case "string":
		return "a string"
	}
	return goType
}

// query checks the query string: only the named parameters, each at most
// once (a repeated parameter would be ambiguous).
func query(r *http.Request, allowed ...string) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, badRequest("query: " + err.Error())
	}
	for name, values := range q {
		if !slices.Contains(allowed, name) {
			return nil, badRequest(fmt.Sprintf("query: unknown parameter %q (accepted: %s)", name, strings.Join(allowed, ", ")))
		}
		if len(values) > 1 {
			return nil, badRequest(fmt.Sprintf("query: parameter %q given %d times", name, len(values)))
		}
	}
	return q, nil
}

// paging reads ?cursor=&limit=.
func paging(q url.Values) (cursor string, limit int, err error) {
	if s := q.Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 {
			return "", 0, badRequest(fmt.Sprintf("query: limit %q is not a positive integer", s))
		}
	}
	return q.Get("cursor"), limit, nil
}
