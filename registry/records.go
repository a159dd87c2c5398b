package registry

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// fields is one Redis hash as returned by HGETALL inside a script.
type fields map[string]string

// toFields converts a script's flat [field, value, …] array.
func toFields(v any) (fields, error) {
	flat, ok := v.([]any)
	if !ok || len(flat)%2 != 0 {
		return nil, fmt.Errorf("registry: unexpected script reply %T", v)
	}
	f := make(fields, len(flat)/2)
	for i := 0; i < len(flat); i += 2 {
		k, kok := flat[i].(string)
		val, vok := flat[i+1].(string)
		if !kok || !vok {
			return nil, fmt.Errorf("registry: unexpected script reply element %T", flat[i])
		}
		f[k] = val
	}
	return f, nil
}

// pair splits a {key hash, request hash} reply; either may be empty.
func pair(v any) (fields, fields, error) {
	arr, ok := v.([]any)
	if !ok || len(arr) != 2 {
		return nil, nil, fmt.Errorf("registry: unexpected script reply %T", v)
	}
	k, err := toFields(arr[0])
	if err != nil {
		return nil, nil, err
	}
	req, err := toFields(arr[1])
	return k, req, err
}

func (f fields) time(name string) time.Time {
	ms, err := strconv.ParseInt(f[name], 10, 64)
	if err != nil || ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func (f fields) uint(name string) uint64 {
	n, _ := strconv.ParseUint(f[name], 10, 64)
	return n
}

func parseKey(f fields) (Key, error) {
	var entities []int64
	if err := json.Unmarshal([]byte(f["entities"]), &entities); err != nil {
		return Key{}, fmt.Errorf("registry: key %q: entities: %w", f["id"], err)
	}
	rate, err := parseRateFields(f)
	if err != nil {
		return Key{}, err
	}
	cert, err := parseStoredFingerprint(f["id"], f["client_cert"])
	if err != nil {
		return Key{}, err
	}
	return Key{
		ID:             f["id"],
		Name:           f["name"],
		Entities:       entities,
		Status:         Status(f["status"]),
		Generation:     f.uint("gen"),
		hash:           f["hash"],
		DisplayPrefix:  f["prefix"],
		CreatedBy:      f["created_by"],
		CreatedAt:      f.time("created_at"),
		RevealedAt:     f.time("revealed_at"),
		LastUsedAt:     f.time("last_used_at"),
		PendingRequest: f["pending"],
		RateLimit:      rate,
		ClientCert:     cert,
	}, nil
}

func parseRequest(f fields) (Request, error) {
	req := Request{
		ID:              f["id"],
		Kind:            RequestKind(f["kind"]),
		KeyID:           f["key"],
		Status:          RequestStatus(f["status"]),
		RequestedBy:     f["requested_by"],
		RequestedByName: f["requested_by_name"],
		Quorum:          int(f.uint("quorum")),
		CreatedAt:       f.time("created_at"),
		ExpiresAt:       f.time("expires_at"),
		ClosedAt:        f.time("closed_at"),
		ClosedBy:        f["closed_by"],
		Approvals:       votes(f, "a:", "x:"),
		Rejections:      votes(f, "r:", ""),
	}
	for side, dst := range map[string]*KeyState{"before": &req.Before, "after": &req.After} {
		if err := json.Unmarshal([]byte(f[side]), dst); err != nil {
			return Request{}, fmt.Errorf("registry: request %q: %s: %w", req.ID, side, err)
		}
	}
	return req, nil
}

// votes collects the "<prefix><admin id>" = "<unix ms>|<admin name>" fields,
// oldest first; "<discounted><admin id>" = "<unix ms>" says since when a
// vote no longer counts ("" for votes that always count).
func votes(f fields, prefix, discounted string) []Vote {
	var out []Vote
	for k, v := range f {
		id, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		ms, name, _ := strings.Cut(v, "|")
		at, _ := strconv.ParseInt(ms, 10, 64)
		vote := Vote{AdminID: id, AdminName: name, At: time.UnixMilli(at).UTC()}
		if discounted != "" {
			vote.DiscountedAt = f.time(discounted + id)
		}
		out = append(out, vote)
	}
	slices.SortFunc(out, func(a, b Vote) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return strings.Compare(a.AdminID, b.AdminID)
	})
	return out
}

func parseAdmin(f fields) Admin {
	return Admin{
		ID:         f["id"],
		Name:       f["name"],
		Status:     AdminStatus(f["status"]),
		CreatedAt:  f.time("created_at"),
		DisabledAt: f.time("disabled_at"),
	}
}

// parseRateFields reads a key record's override ("rate", "burst"); both
// absent is the default.
func parseRateFields(f fields) (RateOverride, error) {
	if f["rate"] == "" {
		return RateOverride{}, nil
	}
	burst, err := strconv.Atoi(f["burst"])
	if err != nil {
		return RateOverride{}, fmt.Errorf("registry: key %q: stored burst %q: %w", f["id"], f["burst"], err)
	}
	return RateOverride{Rate: f["rate"], Burst: burst}, nil
}
