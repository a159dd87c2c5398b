package registry

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
)

// EventHandler receives what Watch hears. Its methods are called from
// Watch's goroutine only, in order.
type EventHandler interface {
	// Subscribed reports the subscription going live (true) or dropping
	// (false). Events may have been missed before a true: purge caches.
	Subscribed(live bool)
	// Event is one change announced on EventsChannel.
	Event(e Event)
}

// watchIdle is how long Watch waits for a message before it pings, and how
// long a ping may take before the subscription counts as dropped.
const watchIdle = 2 * time.Second

// Watch subscribes to EventsChannel and feeds h until ctx ends. It
// reconnects on its own; h hears every drop and every recovery.
func (r *Registry) Watch(ctx context.Context, h EventHandler) {
	ps := r.client.Subscribe(ctx, r.EventsChannel())
	defer ps.Close()
	live, pinged := false, false
	setLive := func(v bool) {
		if v != live {
			live = v
			h.Subscribed(v)
		}
	}
	backoff := 50 * time.Millisecond
	for ctx.Err() == nil {
		msg, err := ps.ReceiveTimeout(ctx, watchIdle)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && live && !pinged {
				pinged = true
				if ps.Ping(ctx) == nil {
					continue // the Pong arrives as a message
				}
			}
			setLive(false)
			pinged = false
			r.log.Warn("events subscription down", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 2*time.Second)
			continue
		}
		pinged, backoff = false, 50*time.Millisecond
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				setLive(true)
			}
		case *redis.Message:
			e, err := ParseEvent([]byte(m.Payload))
			if err != nil {
				r.log.Warn("ignored malformed event", "err", err)
				continue
			}
			h.Event(e)
		}
	}
}
