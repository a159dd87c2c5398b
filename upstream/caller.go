package upstream

import "context"

// callerKey is the context key of the key id an upstream read is for.
type callerKey struct{}

// WithKey returns ctx naming keyID as the key an upstream read made with it
// is for: its fair share of the operator's budget pays for it. Reads with
// no key named are the gateway's own (background refreshes, notification
// fan-out, the console, readiness).
func WithKey(ctx context.Context, keyID string) context.Context {
	return context.WithValue(ctx, callerKey{}, keyID)
}

// KeyOf is the key id ctx names, "" for none.
func KeyOf(ctx context.Context) string {
	id, _ := ctx.Value(callerKey{}).(string)
	return id
}

// Call is a context naming a key, like WithKey's, as a value its holder
// keeps (the proxy's pooled request state): pointing at it allocates
// nothing. Set both fields before use; it must not be used after its
// holder reuses it.
type Call struct {
	context.Context
	KeyID string
}

// Value answers the key id for WithKey's key, and asks the parent for
// anything else.
func (c *Call) Value(k any) any {
	if _, ok := k.(callerKey); ok {
		return c.KeyID
	}
	return c.Context.Value(k)
}
