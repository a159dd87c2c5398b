package ratelimit

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The operator's budget keeps, beside its GCRA buckets (Budget, under the
// prefix P up:), in the workspace's hash slot:
//
//	P up:pause        a string whose TTL is the upstream's Retry-After
//	P up:w:<window>   hash a|<id>, s|<id>, r|<id> → requests asked, sent,
//	                  refused in that window (window = Redis time / Window),
//	                  expiring after three windows
//	P up:h:<hour>     hash s|<id>, r|<id> → sent and refused in that hour
//	                  (unix hours), expiring after 25 hours
//
// <id> is a key id, or "-" for the gateway's own reads.

// exchangeScript adds one replica's counts to the current window (on
// Redis's clock, so replicas agree on windows whatever their clocks),
// lengthens the shared pause when asked, and returns the window, the
// pause left in ms (negative: none) and, when the window is not the one the
// replica last saw, the previous window's counts.
var exchangeScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wms = tonumber(ARGV[1])
local w = math.floor(now / wms)
local pause = tonumber(ARGV[3])
if pause > 0 and redis.call('PTTL', KEYS[1]) < pause then
  redis.call('SET', KEYS[1], '1', 'PX', pause)
end
if #ARGV > 3 then
  local cur = KEYS[2] .. string.format('%d', w)
  local hour = KEYS[3] .. string.format('%d', math.floor(now / 3600000))
  for i = 4, #ARGV, 4 do
    local id = ARGV[i]
    local asked, sent, refused = tonumber(ARGV[i+1]), tonumber(ARGV[i+2]), tonumber(ARGV[i+3])
    if asked > 0 then redis.call('HINCRBY', cur, 'a|' .. id, asked) end
    if sent > 0 then
      redis.call('HINCRBY', cur, 's|' .. id, sent)
      redis.call('HINCRBY', hour, 's|' .. id, sent)
    end
    if refused > 0 then
      redis.call('HINCRBY', cur, 'r|' .. id, refused)
      redis.call('HINCRBY', hour, 'r|' .. id, refused)
    end
  end
  redis.call('PEXPIRE', cur, 3 * wms)
  redis.call('EXPIRE', hour, 25 * 3600)
end
local prev = {}
if string.format('%d', w) ~= ARGV[2] then
  prev = redis.call('HGETALL', KEYS[2] .. string.format('%d', w - 1))
end
return {w, redis.call('PTTL', KEYS[1]), prev}
`)

// useScript reads one key's counts: the last complete window's asked,
// sent and refused, and the sent and refused of the last ARGV[3] hours.
var useScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local w = math.floor(now / tonumber(ARGV[1])) - 1
local id = ARGV[2]
local win = redis.call('HMGET', KEYS[2] .. string.format('%d', w), 'a|' .. id, 's|' .. id, 'r|' .. id)
local h = math.floor(now / 3600000)
local sent, refused = 0, 0
for i = 0, tonumber(ARGV[3]) - 1 do
  local v = redis.call('HMGET', KEYS[3] .. string.format('%d', h - i), 's|' .. id, 'r|' .. id)
  sent = sent + (tonumber(v[1]) or 0)
  refused = refused + (tonumber(v[2]) or 0)
end
return {tonumber(win[1]) or 0, tonumber(win[2]) or 0, tonumber(win[3]) or 0, sent, refused}
`)

// gatewayField names the gateway's own reads in the counts.
const gatewayField = "-"

// counts is what one replica saw of one key since its last exchange.
type counts struct{ asked, sent, refused int64 }

// exchanged is Redis's answer to an exchange.
type exchanged struct {
	window int64
	pause  time.Duration // left; 0 when none
	// prev is the previous window's requests asked, by key id (the
	// gateway's own under ""); nil when the window did not change.
	prev map[string]int64
}

func (b *Budget) sharedKeys() []string {
	return []string{b.prefix + "pause", b.prefix + "w:", b.prefix + "h:"}
}

// exchange adds batch to the shared counts, lengthens the shared pause to
// pause when that is longer, and reads what exchanged says.
func (b *Budget) exchange(ctx context.Context, window time.Duration, last int64, pause time.Duration, batch map[string]counts) (exchanged, error) {
	args := make([]any, 0, 3+4*len(batch))
	lastArg := ""
	if last > 0 {
		lastArg = strconv.FormatInt(last, 10)
	}
	args = append(args, window.Milliseconds(), lastArg, pause.Milliseconds())
	for id, c := range batch {
		if id == "" {
			id = gatewayField
		}
		args = append(args, id, c.asked, c.sent, c.refused)
	}
	v, err := exchangeScript.Run(ctx, b.client, b.sharedKeys(), args...).Slice()
	if err != nil {
		return exchanged{}, fmt.Errorf("%w: exchange: %w", ErrUnavailable, err)
	}
	return parseExchanged(v, last)
}

func parseExchanged(v []any, last int64) (exchanged, error) {
	if len(v) != 3 {
		return exchanged{}, fmt.Errorf("%w: exchange: %d values", ErrUnavailable, len(v))
	}
	w, ok1 := v[0].(int64)
	pttl, ok2 := v[1].(int64)
	flat, ok3 := v[2].([]any)
	if !ok1 || !ok2 || !ok3 || len(flat)%2 != 0 {
		return exchanged{}, fmt.Errorf("%w: exchange: unexpected answer %v", ErrUnavailable, v)
	}
	e := exchanged{window: w, pause: time.Duration(max(pttl, 0)) * time.Millisecond}
	if w == last {
		return e, nil
	}
	e.prev = map[string]int64{}
	for i := 0; i < len(flat); i += 2 {
		field, _ := flat[i].(string)
		id, ok := strings.CutPrefix(field, "a|")
		n, err := strconv.ParseInt(fmt.Sprint(flat[i+1]), 10, 64)
		if !ok || err != nil {
			continue // sent and refused counts: for admins, not for shares
		}
		if id == gatewayField {
			id = ""
		}
		e.prev[id] = n
	}
	return e, nil
}

// KeyUse is one key's use of the operator's budget, summed over every
// replica: upstream requests asked for on its behalf (sent or refused by
// the budget; the answers served from the cache or shared with a request
// in flight ask for nothing), sent, and refused.
type KeyUse struct {
	// LastWindow is the last complete window (SharedOptions.Window).
	LastWindow struct{ Asked, Sent, Refused int64 }
	// Sent24h and Refused24h cover the current hour and the 23 before it.
	Sent24h, Refused24h int64
}

// use reads keyID's counts.
func (b *Budget) use(ctx context.Context, window time.Duration, keyID string) (KeyUse, error) {
	v, err := useScript.Run(ctx, b.client, b.sharedKeys(), window.Milliseconds(), keyID, 24).Int64Slice()
	if err != nil {
		return KeyUse{}, fmt.Errorf("%w: read use: %w", ErrUnavailable, err)
	}
	if len(v) != 5 {
		return KeyUse{}, fmt.Errorf("%w: read use: %d values", ErrUnavailable, len(v))
	}
	var u KeyUse
	u.LastWindow.Asked, u.LastWindow.Sent, u.LastWindow.Refused = v[0], v[1], v[2]
	u.Sent24h, u.Refused24h = v[3], v[4]
	return u, nil
}
