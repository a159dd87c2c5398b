package registry

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on what admins may file.
const (
	MaxNameLen     = 100  // characters in a key name
	MaxEntities    = 1000 // entities bound to one key
	MaxAdminName   = 64   // characters in an admin name
	MaxPageSize    = 200  // items in one page of a list
	DefaultPageLen = 50   // items when the caller gives no limit
)

// Identifier prefixes. An identifier is the prefix, 12 hex digits of its
// creation time in unix milliseconds (so identifiers sort by age) and 12
// random base62 characters.
const (
	keyIDPrefix     = "key_"
	requestIDPrefix = "req_"
	adminIDPrefix   = "adm_"
	idTimeLen       = 12
	idRandomLen     = 12
)

var workspacePattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func newID(prefix string, now time.Time) (string, error) {
	random, err := randomBase62(idRandomLen)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s%0*x%s", prefix, idTimeLen, now.UnixMilli(), random), nil
}

// validID checks an identifier's shape before it becomes part of a Redis key
// name: a '{' or '}' smuggled in would move the key out of the workspace's
// hash slot.
func validID(id, prefix string) bool {
	if len(id) != len(prefix)+idTimeLen+idRandomLen || !strings.HasPrefix(id, prefix) {
		return false
	}
	for i := len(prefix); i < len(id); i++ {
		if _, ok := base62Value(id[i]); !ok {
			return false
		}
	}
	return true
}

// cleanName trims a name and checks it is printable UTF-8 of 1..max characters.
func cleanName(field, name string, max int) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", invalidf("%s: must not be empty", field)
	case !utf8.ValidString(name):
		return "", invalidf("%s: must be valid UTF-8", field)
	case utf8.RuneCountInString(name) > max:
		return "", invalidf("%s: longer than %d characters", field, max)
	case strings.IndexFunc(name, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' }) >= 0:
		return "", invalidf("%s: contains control or non-printable characters", field)
	}
	return name, nil
}

// canonicalEntities checks entity ids (positive, 1..MaxEntities of them) and
// returns them sorted without duplicates, with their JSON form. The JSON is
// stored verbatim and compared as text, so it must be canonical.
func canonicalEntities(ids []int64) ([]int64, string, error) {
	if len(ids) == 0 {
		return nil, "", invalidf("entities: must not be empty")
	}
	out := slices.Clone(ids)
	slices.Sort(out)
	out = slices.Compact(out)
	if out[0] <= 0 {
		return nil, "", invalidf("entities: %d is not a positive entity id", out[0])
	}
	if len(out) > MaxEntities {
		return nil, "", invalidf("entities: %d given, at most %d", len(out), MaxEntities)
	}
	b := []byte{'['}
	for i, id := range out {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return out, string(append(b, ']')), nil
}

// pageLimit applies the default and bounds to a page size.
func pageLimit(limit int) (int, error) {
	switch {
	case limit == 0:
		return DefaultPageLen, nil
	case limit < 0 || limit > MaxPageSize:
		return 0, invalidf("limit: %d is outside 1..%d", limit, MaxPageSize)
	}
	return limit, nil
}
