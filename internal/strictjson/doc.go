// Package strictjson refuses the JSON object member names that Go's
// encoding/json would read ambiguously. encoding/json matches a member to a
// struct field without regard to case (with Unicode folding: "ſ" reads as
// "s") and keeps the last of two members with one name, so a body a reviewer
// reads one way can decode another: {"entities":[1],"ENTITIES":[1,2,3]} is
// entities 1 to 3.
//
// CheckNames walks a document alongside the Go type it is decoded into and
// reports the first member that is not spelled exactly as a field's JSON
// name, or that repeats a name within one object. It does not decode and
// does not replace encoding/json's own checks (syntax, types, trailing
// data): callers decode as before, with DisallowUnknownFields, and call
// CheckNames on the same bytes.
//
// It must stay a checker: no normalising, no second decoding path.
package strictjson
