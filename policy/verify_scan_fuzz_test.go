package policy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// scanChecks are the checks the differential test draws from: the first
// are FuzzVerifyAgainstDecoder's, so that corpus means the same here.
var scanChecks = append(append([]Check(nil), fuzzChecks...),
	Check{Shape: ObjectTarget},
	Check{Shape: NodesTarget},
	nodes("id", Entities),
	object("id", Accounts),
	of(items("account_id", Accounts), "account_id"),
	of(nodes("id", Accounts), "parent"),
)

// FuzzScanAgainstParser holds the scan to the parser it replaced: for any
// body and check, Verify (the scan) and the reference — a JSON validator,
// then verifyParsed — reach the same verdict: pass, the same
// violation (field, id, set), or malformed. The reference validates first
// (referenceValid) because fastjson's parser is laxer than JSON; the scan
// must refuse what the validators refuse, at fastjson's depth bound.
func FuzzScanAgainstParser(f *testing.F) {
	for _, seed := range scanSeeds(f) {
		f.Add(seed.body, seed.shape)
	}
	s := NewScope([]int64{1}, []int64{10, 11}, []int64{100}, []int64{7}, []int64{50}, time.Unix(1, 0))
	owners, err := NewOwners(nil, 16)
	if err != nil {
		f.Fatal(err)
	}
	owners.Remember(TransactionOwner, 900, Ownership{Kind: TargetAccount, ID: 10})
	owners.Remember(TransactionOwner, 901, Ownership{Kind: TargetAccount, ID: 99})
	v := NewVerifier(nil, owners)
	f.Fuzz(func(t *testing.T, body []byte, shape uint8) {
		c := scanChecks[int(shape)%len(scanChecks)]
		want := verdictClass(referenceVerify(v, body, c, s))
		if got := verdictClass(v.Verify(context.Background(), body, c, s, 10)); got != want {
			t.Fatalf("check %+v of %q: scan says %s, parser says %s", c, body, got, want)
		}
		if got, want := validJSON(body), referenceValid(body); got != want {
			t.Fatalf("validJSON(%q) = %v, fastjson says %v", body, got, want)
		}
	})
}

func referenceVerify(v *Verifier, body []byte, c Check, s *Scope) error {
	if !referenceValid(body) {
		return ErrMalformedBody
	}
	return v.verifyParsed(context.Background(), body, c, s, 10)
}

// referenceValid is JSON as both fastjson's validator and encoding/json
// read it, within fastjson's depth bound (its parser's; the validator has
// none). encoding/json is there because fastjson's validator misses a raw
// control character before an escape ("\x00\\b"; this test found it).
func referenceValid(body []byte) bool {
	var p fastjson.Parser
	_, err := p.ParseBytes(body)
	return err == nil && fastjson.ValidateBytes(body) == nil && json.Valid(body)
}

func verdictClass(err error) string {
	var v *Violation
	switch {
	case err == nil:
		return "pass"
	case errors.As(err, &v):
		return fmt.Sprintf("violation of %s %d (%s)", v.Field, v.ID, v.Set)
	case errors.Is(err, ErrMalformedBody):
		return "malformed"
	}
	return "error: " + err.Error()
}

type scanSeed struct {
	body  []byte
	shape uint8
}

// scanSeeds are FuzzVerifyAgainstDecoder's seeds and corpus, TestVerify's
// bodies, the benchmarks' (long strings) and bodies of their own, each
// under every check.
func scanSeeds(f *testing.F) []scanSeed {
	var seeds []scanSeed
	bodies := append(scanSeedBodies(), decoderSeeds()...)
	for _, c := range verifyCases() {
		bodies = append(bodies, c.body)
	}
	for _, b := range benchBodies(1 << 10) {
		bodies = append(bodies, string(b))
	}
	for _, b := range bodies {
		for shape := range uint8(len(scanChecks)) {
			seeds = append(seeds, scanSeed{[]byte(b), shape})
		}
	}
	files, err := filepath.Glob("testdata/fuzz/FuzzVerifyAgainstDecoder/*")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		seed, err := readCorpusEntry(name)
		if err != nil {
			f.Fatalf("%s: %v", name, err)
		}
		seeds = append(seeds, seed)
	}
	return seeds
}

func scanSeedBodies() []string {
	page := func(count, nodes string) string {
		return `{"edges":[` + nodes + `],"page_info":{"count":` + count + `,"has_next_page":false}}`
	}
	bodies := []string{
		page("1", `{"cursor":0,"node":{"id":10,"account_id":11,"parent":10,"parent_id":10}}`),
		page("1", `{"cursor":0,"node":{"id":12}},{"cursor":1,"node":{"id":10,"id":12}}`),
		page("9", `{"cursor":0,"node":{"id":10}}`),
		page("1", `{"cursor":0,"node":{"\u0069d":10,"id":12}}`),
		page("1", `{"cursor":0,"node":{"target_type":"ACCOUNT","target_id":10}},{"node":{"target_type":"TRANSACTION","target_id":901}}`),
		page("1", `{"node":{"target_type":"\u0055SER","target_id":100}}`),
		page("1", `{"node":{"id":-0,"x":[1,2.5e-3,{"a":null}],"y":true,"z":false}}`),
		page("1", `{"node":{"id":9223372036854775807}},{"node":{"id":-9223372036854775808}},{"node":{"id":9223372036854775808}}`),
		page("1", `{"node":{"id":10,"s":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}}`),
		`{"edges":[],"page_info":{"count":1},"page_info":{"count":1}}`,
		`{"edges":{},"page_info":{"count":1}}`,
		`{"edges":[],"page_info":{"count":1.0}}`,
		`[{"parent_id":10,"account_id":10},{"parent_id":11,"account_id":10}]`,
		`{"users":[{"id":100},{"id":101,"id":100}],"other":[]}`,
		`{"request":{"target_type":"USER","target_id":100},"request2":{}}`,
		`{"id":1,"target_type":"ACCOUNT","target_id":10,"account_id":10}`,
		` {"id":10} `, `{"id":10}{"id":12}`, `{"id":10} x`, `{"id":01}`, `{"id":1e1}`, `{"id":-}`, `{"id":NaN}`,
		`{"id":10,"s":"` + "\x01" + `"}`, `{"id":10,"s":"\x"}`, `{"id":10,"s":"\u12"}`, `{"id":10,}`, `{,"id":10}`,
		`{"id" 10}`, `{"id":10 "x":1}`, `[1 2]`, `[,]`, `[1,]`, `tru`, `nul`, `"x`, ``, ` `,
		strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth),
		strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1),
		strings.Repeat("[", maxDepth-1) + "1" + strings.Repeat("]", maxDepth-1),
		strings.Repeat("[", maxDepth) + "1" + strings.Repeat("]", maxDepth),
		`{"id":10,"deep":` + strings.Repeat(`{"a":`, maxDepth-2) + `1` + strings.Repeat("}", maxDepth-2) + `}`,
		`{"id":10,"deep":` + strings.Repeat(`{"a":`, maxDepth-1) + `1` + strings.Repeat("}", maxDepth-1) + `}`,
		`{"id":10,"\u0061\u0063\u0063\u006f\u0075\u006e\u0074\u005f\u0069\u0064":12,"account_id":10}`,
		`{"id":10,"` + strings.Repeat(`\u0061`, 40) + `":1}`,
		// Variants of checked names under case folding (scan_fold.go), and
		// names that only look like one.
		page("1", `{"node":{"id":10,"i\u0044":12,"\u0131d":12,"\u0130d":12,"\u00ccd":12}}`),
		page("1", `{"node":{"account_id":10,"parent":10,"Parent":10}},{"node":{"account_id":12,"PARENT":10,"parent":10}}`),
		`{"edges":[],"edge\u017F":[],"page_info":{"count":1}}`, `{"edges":[],"EDGE\u017f":[],"page_info":{"count":1}}`,
		`{"edges":[],"edges` + longS + `":[],"page_info":{"count":1}}`, `{"edges":[],"page_info":{"Count":1}}`,
		`{"request":{"target_type":"\u0055SER","target_id":100,"target_Type":"USER"}}`,
		`{"key_id":10,"` + "\xe2\x84" + `ey_id":12}`, `{"key_id":10,"` + kelvin + `ey_id":12}`, `{"key_id":10,"\u212Aey_id":12}`,
		`{"key_id":10,"` + strings.Repeat(`\u0061`, maxNameLen-2) + `\u017f":1,"` + strings.Repeat("a", maxNameLen-1) + longS + `":1}`,
		`{"users":[{"id":100}],"\u0055\u017f\u0065rs":[{"id":100}]}`,
		`{"users":[{"id":100}],"\u00c5\u00bfers":[],"\u017f":1,"` + longS + longS + `":1}`,
	}
	return bodies
}

// readCorpusEntry reads a "go test fuzz v1" file of ([]byte, byte).
func readCorpusEntry(name string) (scanSeed, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return scanSeed{}, err
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 3 || lines[0] != "go test fuzz v1" {
		return scanSeed{}, errors.New("not a corpus entry of ([]byte, byte)")
	}
	body, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
	if err != nil {
		return scanSeed{}, err
	}
	arg := strings.TrimSuffix(lines[2], ")")
	var shape uint64
	switch {
	case strings.HasPrefix(arg, "byte("):
		r, err := strconv.Unquote(strings.TrimPrefix(arg, "byte("))
		if err != nil {
			return scanSeed{}, err
		}
		c, _ := utf8.DecodeRuneInString(r)
		shape = uint64(c)
	case strings.HasPrefix(arg, "uint8("):
		if shape, err = strconv.ParseUint(strings.TrimPrefix(arg, "uint8("), 0, 8); err != nil {
			return scanSeed{}, err
		}
	default:
		return scanSeed{}, fmt.Errorf("unexpected argument %q", arg)
	}
	return scanSeed{[]byte(body), uint8(shape)}, nil
}
