package registry

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Key usage, for admins: when each key was last used and how many requests
// it made in the last 24 hours. Replicas count in memory and flush batches
// here every few seconds (RecordUsage), so the proxy never waits on Redis for
// it. Counts live in hourly buckets shared by every key:
//
//	P usage:<unix hour>  hash  key id → requests in that hour
//
// "The last 24 hours" is the current hour and the 23 before it (UsageWindow
// buckets), so it covers between 23 and 24 hours of traffic. A bucket expires
// an hour after the last sum that reads it.

// UsageWindow is how many hourly buckets "the last 24 hours" adds up.
const UsageWindow = 24

// UsageDelta is what one replica saw of one key since its last flush.
type UsageDelta struct {
	Count int64     // requests
	Last  time.Time // the latest of them
}

// Usage is a key's use as admins see it.
type Usage struct {
	LastUsed    time.Time // zero if never used
	Requests24h int64     // requests in the last UsageWindow hours
}

// RecordUsage adds a batch (key id → delta) in one round trip: each count
// goes to the hourly bucket of its Last time, and the key's last-used time
// keeps the latest. Unknown keys are skipped; malformed ids and negative
// counts are refused.
func (r *Registry) RecordUsage(ctx context.Context, batch map[string]UsageDelta) error {
	if len(batch) == 0 {
		return nil
	}
	now := r.now()
	args := make([]any, 0, 1+5*len(batch))
	args = append(args, r.prefix)
	for id, d := range batch {
		if !validID(id, keyIDPrefix) {
			return invalidf("key id %q is malformed", id)
		}
		if d.Count < 0 || d.Last.IsZero() {
			return invalidf("usage of %s: count %d and last use %v: give a count ≥ 0 and a time", id, d.Count, d.Last)
		}
		hour := unixHour(d.Last)
		args = append(args, id, hour, d.Count, d.Last.UnixMilli(), bucketTTL(hour, now).Milliseconds())
	}
	err := r.scripts.usage.Run(ctx, r.client, []string{r.key("keys")}, args...).Err()
	if err != nil {
		err = classify(err, "record usage")
		r.logFailure("record usage", err)
	}
	return err
}

// Usage reads the use of the given keys (a page of a list) in one round
// trip. Keys never used, and unknown ones, have the zero Usage.
func (r *Registry) Usage(ctx context.Context, ids []string) (map[string]Usage, error) {
	out := make(map[string]Usage, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	for _, id := range ids {
		if !validID(id, keyIDPrefix) {
			return nil, invalidf("key id %q is malformed", id)
		}
	}
	hour := unixHour(r.now())
	pipe := r.client.Pipeline()
	buckets := make([]*redis.SliceCmd, UsageWindow)
	for i := range buckets {
		buckets[i] = pipe.HMGet(ctx, r.key("usage:"+strconv.FormatInt(hour-int64(i), 10)), ids...)
	}
	last := make([]*redis.StringCmd, len(ids))
	for i, id := range ids {
		last[i] = pipe.HGet(ctx, r.key("key:"+id), "last_used_at")
	}
	// A key never used has no last_used_at: its HGET answers redis.Nil,
	// which is not a failure; any other error is.
	cmds, _ := pipe.Exec(ctx)
	for _, c := range cmds {
		if err := c.Err(); err != nil && !errors.Is(err, redis.Nil) {
			err = classify(err, "read usage")
			r.logFailure("read usage", err)
			return nil, err
		}
	}
	for i, id := range ids {
		u := Usage{}
		for _, b := range buckets {
			s, _ := b.Val()[i].(string)
			n, _ := strconv.ParseInt(s, 10, 64)
			u.Requests24h += n
		}
		if ms, err := strconv.ParseInt(last[i].Val(), 10, 64); err == nil && ms > 0 {
			u.LastUsed = time.UnixMilli(ms).UTC()
		}
		out[id] = u
	}
	return out, nil
}

func unixHour(t time.Time) int64 { return t.Unix() / 3600 }

// bucketTTL keeps the bucket of hour until an hour after the last sum that
// reads it (at hour+UsageWindow-1), measured from now on the registry's clock.
func bucketTTL(hour int64, now time.Time) time.Duration {
	end := time.Unix((hour+UsageWindow+1)*3600, 0)
	return max(end.Sub(now), time.Minute)
}
