package proxy

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"reflect"
	"testing"
	"time"
)

// The hand-written access-log line is the line slog.JSONHandler writes for
// the same record: the same keys, values and order, valid JSON whatever
// the strings hold.
func TestAccessLineIsSlogsLine(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 5, 4, 5, 6, 789012345, time.UTC)
	for _, c := range []struct{ keyID, method, route, decision string }{
		{"key_019ca9450a00Au4xmGbosFGs", "GET", "/accounts/{account_id}", "path"},
		{"", "OTHER", "unmatched", "ambiguous_path"},
		{`k"\` + "\x00\x1f\n", "GET", "/x\u00e9", `d"`},
	} {
		var want bytes.Buffer
		slog.New(slog.NewJSONHandler(&want, nil)).LogAttrs(t.Context(), slog.LevelInfo, "request",
			slog.String("key_id", c.keyID), slog.String("method", c.method), slog.String("route", c.route),
			slog.Int("status", 404), slog.String("decision", c.decision),
			slog.Int64("duration_us", 1234), slog.Int64("upstream_us", 567), slog.String("upstream", "cached"))
		got := appendAccessLine(nil, now, c.keyID, c.method, c.route, c.decision, "cached", 404,
			1234*time.Microsecond, 567*time.Microsecond)
		var g, w map[string]any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("%q is not JSON: %v", got, err)
		}
		if err := json.Unmarshal(want.Bytes(), &w); err != nil {
			t.Fatal(err)
		}
		delete(w, "time") // slog's clock; ours is the request's end
		if g["time"] != now.Format(time.RFC3339Nano) {
			t.Errorf("time %v, want %v", g["time"], now.Format(time.RFC3339Nano))
		}
		delete(g, "time")
		if !reflect.DeepEqual(g, w) {
			t.Errorf("hand-written %s\nslog         %s", got, want.Bytes())
		}
		if !bytes.HasSuffix(got, []byte("}\n")) || bytes.Count(got, []byte("\n")) != 1 {
			t.Errorf("%q is not one line", got)
		}
	}
}
