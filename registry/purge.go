package registry

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/redis/go-redis/v9"
)

// purgeScript publishes a purge event in the channel's chain.
var purgeScript = func() *redis.Script {
	read := func(name string) string {
		b, err := luaFiles.ReadFile("lua/" + name + ".lua")
		if err != nil {
			panic(err) // embedded at build time: cannot happen
		}
		return string(b)
	}
	return redis.NewScript(read("events") + read("purge"))
}()

// Bounds of a purge event, so that a notification cannot make one huge.
const (
	maxPurgeHeads   = 16
	maxPurgeHeadLen = 128
)

// PublishPurge tells every replica to drop its cached upstream answers
// under heads (request targets' first two path segments, such as
// "/transactions/12" or "/transactions"): an upstream notification made
// them stale.
func (r *Registry) PublishPurge(ctx context.Context, heads []string) error {
	if err := checkPurge(heads); err != nil {
		return err
	}
	ev, err := json.Marshal(Event{Type: EventPurge, Heads: heads})
	if err != nil {
		return err
	}
	if err := purgeScript.Run(ctx, r.client, []string{r.key("events:last")}, r.prefix, ev).Err(); err != nil {
		return classify(err, "publish purge")
	}
	return nil
}

func checkPurge(heads []string) error {
	if len(heads) == 0 || len(heads) > maxPurgeHeads {
		return invalidf("purge of %d heads: give 1 to %d", len(heads), maxPurgeHeads)
	}
	for _, h := range heads {
		if !strings.HasPrefix(h, "/") || len(h) > maxPurgeHeadLen || strings.ContainsAny(h, "?\x00") {
			return invalidf("purge head %.140q: give a path of at most %d bytes", h, maxPurgeHeadLen)
		}
	}
	return nil
}
