package registry

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
)

// OperatorActor names, in the audit log, whoever manages admins through the
// CLI with direct access to Redis (there is no admin above the admins).
const OperatorActor = "operator"

// CreateAdmin creates an active admin and returns their personal bearer
// token, exactly once: only its SHA-256 is stored.
func (r *Registry) CreateAdmin(ctx context.Context, name string) (Admin, string, error) {
	name, err := cleanName("name", name, MaxAdminName)
	if err != nil {
		return Admin{}, "", err
	}
	now := r.now()
	id, err := newID(adminIDPrefix, now)
	if err != nil {
		return Admin{}, "", err
	}
	token, err := generateAdminToken()
	if err != nil {
		return Admin{}, "", err
	}
	a, err := r.adminChange(ctx, "create", id, name, tokenHash(token))
	if err != nil {
		return Admin{}, "", err
	}
	r.log.Info("admin created", "admin_id", a.ID, "name", a.Name)
	return a, token, nil
}

// DisableAdmin disables an admin for good: their token stops working, their
// votes and requests are refused, and they no longer count towards quorums.
func (r *Registry) DisableAdmin(ctx context.Context, id string) (Admin, error) {
	if !validID(id, adminIDPrefix) {
		return Admin{}, notFoundf("no admin %q", id)
	}
	a, err := r.adminChange(ctx, "disable", id, "", "")
	if err == nil {
		r.log.Info("admin disabled", "admin_id", a.ID)
	}
	return a, err
}

func (r *Registry) adminChange(ctx context.Context, verb, id, name, hash string) (Admin, error) {
	v, err := r.run(ctx, r.scripts.adminChange, verb+" admin", r.now(), OperatorActor, verb, id, name, hash)
	if err != nil {
		return Admin{}, err
	}
	f, err := toFields(v)
	if err != nil {
		return Admin{}, err
	}
	return parseAdmin(f), nil
}

// AdminByToken authenticates a bearer token. A malformed token is refused
// offline; an unknown one is ErrNotFound; a disabled admin's is ErrForbidden.
func (r *Registry) AdminByToken(ctx context.Context, token string) (Admin, error) {
	if !checkAdminTokenFormat([]byte(token)) {
		return Admin{}, notFoundf("malformed admin token")
	}
	hash := tokenHash(token)
	v, err := r.scripts.adminByToken.Run(ctx, r.client, []string{r.key("admintoken:" + hash)}, r.prefix).Result()
	if err != nil {
		err = classify(err, "unknown admin token")
		r.logFailure("admin by token", err)
		return Admin{}, err
	}
	f, err := toFields(v)
	if err != nil {
		return Admin{}, err
	}
	// The lookup was by name; compare the stored hash as well, in constant
	// time, so that the answer never depends on how much of it matched.
	if subtle.ConstantTimeCompare([]byte(f["token_hash"]), []byte(hash)) != 1 {
		return Admin{}, notFoundf("unknown admin token")
	}
	a := parseAdmin(f)
	if a.Status != AdminActive {
		return a, &Error{Kind: ErrForbidden, Reason: "admin " + a.ID + " is disabled"}
	}
	return a, nil
}

// ListAdmins returns every admin, newest first. Tokens are never returned:
// they are not stored.
func (r *Registry) ListAdmins(ctx context.Context) ([]Admin, error) {
	var out []Admin
	cursor := ""
	for {
		items, next, err := r.list(ctx, "admins", "admin:", adminIDPrefix, cursor, MaxPageSize)
		if err != nil {
			return nil, err
		}
		for _, f := range items {
			out = append(out, parseAdmin(f))
		}
		if next == "" {
			return out, nil
		}
		cursor = next
	}
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
