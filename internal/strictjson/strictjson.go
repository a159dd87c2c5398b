package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// NameError is an ambiguous or unknown member name.
type NameError struct {
	// Path locates the object holding the member ("" for the top level,
	// "all.webhook" below it).
	Path string
	// Name is the member as sent (unescaped).
	Name string
	// Want is the documented name it differs from only by case; "" when it
	// matches no field at all.
	Want string
	// Duplicate: the name appears twice in one object.
	Duplicate bool
}

// Reason says what is wrong, for a 400 body.
func (e *NameError) Reason() string {
	field := e.Name
	if e.Path != "" {
		field = e.Path + "." + e.Name
	}
	switch {
	case e.Duplicate:
		return fmt.Sprintf("field %q appears twice: give each field once", field)
	case e.Want != "":
		return fmt.Sprintf("field %q: names are case-sensitive; did you mean %q?", field, e.Want)
	}
	return fmt.Sprintf("unknown field %q", field)
}

func (e *NameError) Error() string { return "strictjson: " + e.Reason() }

// ErrSyntax wraps a document CheckNames could not walk; decoding the same
// bytes reports the precise problem.
var ErrSyntax = errors.New("strictjson: malformed JSON")

// CheckNames checks every object member name of data against the JSON field
// names of v's type (v is what the caller decodes into, typically a
// pointer): within a struct, a member must be spelled exactly as a field's
// name and appear once; within a map or an untyped value, names must not
// repeat. It returns a *NameError for the first offence, ErrSyntax for a
// document it cannot walk, nil otherwise.
func CheckNames(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return walk(dec, reflect.TypeOf(v), "")
}

// walk consumes one value from dec, checked against t (nil: any).
func walk(dec *json.Decoder, t reflect.Type, path string) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrSyntax, err)
	}
	switch tok {
	case json.Delim('{'):
		return walkObject(dec, t, path)
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for dec.More() {
			if err := walk(dec, elem, path); err != nil {
				return err
			}
		}
		_, err = dec.Token() // ']'
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrSyntax, err)
	}
	return nil
}

func walkObject(dec *json.Decoder, t reflect.Type, path string) error {
	var fields map[string]reflect.Type
	var elem reflect.Type
	switch {
	case t != nil && t.Kind() == reflect.Struct:
		fields = fieldTypes(t)
	case t != nil && t.Kind() == reflect.Map:
		elem = t.Elem()
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%w: %w", ErrSyntax, err)
		}
		name, _ := tok.(string)
		if seen[name] {
			return &NameError{Path: path, Name: name, Duplicate: true}
		}
		seen[name] = true
		next := elem
		if fields != nil {
			ft, ok := fields[name]
			if !ok {
				return &NameError{Path: path, Name: name, Want: foldMatch(fields, name)}
			}
			next = ft
		}
		if err := walk(dec, next, join(path, name)); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return fmt.Errorf("%w: %w", ErrSyntax, err)
	}
	return nil
}

// fieldTypes maps each JSON name of struct t to its field's type, as
// encoding/json names them (the tag's name, else the Go name; "-" and
// unexported fields have none). Embedded structs are not used by the
// bodies checked here and are not expanded.
func fieldTypes(t reflect.Type) map[string]reflect.Type {
	out := make(map[string]reflect.Type, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// foldMatch is the field name that name equals under Unicode case folding,
// the match encoding/json would have made, or "".
func foldMatch(fields map[string]reflect.Type, name string) string {
	for f := range fields {
		if strings.EqualFold(f, name) {
			return f
		}
	}
	return ""
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
