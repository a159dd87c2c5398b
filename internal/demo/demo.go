// Package demo runs reportgate's main job on embedded defaults — the
// upstream simulator, a Redis of its own unless one is given (the installed
// redis-server on a free port, else an in-process miniredis), one gateway
// replica and three admins — and prints a walk-through a newcomer can paste.
// With Script set it plays the same walk-through itself, checking every
// answer, so the printed steps cannot rot (make test runs it).
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"reportgate/config"
	"reportgate/internal/gateway"
	"reportgate/internal/ledgersim"
	"reportgate/internal/seal"
	"reportgate/registry"
)

// Options configure a demo run.
type Options struct {
	// RedisURL is a Redis to use instead of the embedded one.
	RedisURL string
	// Listen, AdminListen, SimListen and PartnerListen are the addresses of
	// the proxy, the admin API, the simulator and the demo partner's webhook
	// receiver; ":0" ports are fine (the walk-through prints the real ones).
	Listen, AdminListen, SimListen, PartnerListen string
	// Binary is the reportgate executable the walk-through calls.
	Binary string
	// Script plays the walk-through and returns; otherwise Run serves until
	// ctx ends.
	Script bool
	// Out receives the walk-through (and, with Script, each step's result).
	Out io.Writer
	// Logger receives the gateway's logs.
	Logger *slog.Logger
}

// Workspace is the demo's workspace name.
const Workspace = "demo"

// env is what the walk-through's steps need to know.
type env struct {
	gw, admin, sim string // base URLs
	hook           string // the partner's webhook receiver
	binary         string
	tokens         map[string]string // admin name → token
	outside        int64             // an account of entity 3
	mover          int64             // an account of entity 1 that the walk-through moves
}

// upstreamSecret signs the simulator's notifications to the gateway.
const upstreamSecret = "demo-upstream-webhook-secret"

// Run starts everything, prints the walk-through and serves (or, with
// Script, plays it). Everything it started is stopped before it returns.
func Run(ctx context.Context, o Options) error {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	rdb, closeRedis, err := redisFor(o.RedisURL)
	if err != nil {
		return err
	}
	defer closeRedis()

	simCfg := ledgersim.DefaultConfig()
	sim, err := ledgersim.New(simCfg)
	if err != nil {
		return err
	}
	simLn, err := net.Listen("tcp", o.SimListen)
	if err != nil {
		return fmt.Errorf("demo: simulator address %s: %w (use --sim-listen)", o.SimListen, err)
	}
	if err := sim.Start(simLn); err != nil {
		return err
	}
	defer sim.Close()

	g, err := startGateway(ctx, o, sim.URL(), rdb)
	if err != nil {
		return err
	}
	if err := sim.SetWebhook("http://"+g.AdminAddr()+"/v1/ledger/webhooks", upstreamSecret); err != nil {
		return err
	}
	p, err := startPartner(o.PartnerListen)
	if err != nil {
		return fmt.Errorf("demo: partner receiver address %s: %w (use --partner-listen)", o.PartnerListen, err)
	}
	defer p.close()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = g.Shutdown(sctx)
	}()

	d := sim.Dataset()
	e := &env{gw: "http://" + g.ProxyAddr(), admin: "http://" + g.AdminAddr(), sim: sim.URL(), hook: p.url,
		binary: o.Binary, tokens: map[string]string{}, outside: outsideAccount(d), mover: movableAccount(d)}
	for _, name := range []string{"alice", "bob", "carol"} {
		_, token, err := g.Registry().CreateAdmin(ctx, name)
		if errors.Is(err, registry.ErrConflict) {
			return fmt.Errorf("demo: the Redis at --redis-url holds the demo's workspace from an earlier run (admin %s exists): "+
				"give an empty database, e.g. redis://host:6379/15, or delete the keys rg:{%s}:*", name, Workspace)
		}
		if err != nil {
			return fmt.Errorf("demo: create admin %s: %w", name, err)
		}
		e.tokens[name] = token
	}
	if o.Script {
		return play(ctx, o.Out, e, steps(e))
	}
	printWalkthrough(o.Out, e, steps(e))
	<-ctx.Done()
	return nil
}

// redisFor returns the given Redis, else a redis-server the demo starts
// when one is installed, else an in-process one (miniredis).
func redisFor(url string) (redis.UniversalClient, func(), error) {
	if url != "" {
		t, err := config.ParseRedisURL(url)
		if err != nil {
			return nil, nil, fmt.Errorf("demo: --redis-url: %w", err)
		}
		c := t.NewClient()
		return c, func() { c.Close() }, nil
	}
	if c, stop, err := startRedisServer(); err == nil {
		return c, stop, nil
	}
	m := miniredis.NewMiniRedis()
	if err := m.Start(); err != nil {
		return nil, nil, fmt.Errorf("demo: embedded redis: %w", err)
	}
	// miniredis runs Lua without LuaBitOp, so the audit chain's SHA-256 is
	// computed arithmetically: slow. A long read timeout, and no retry of a
	// script that timed out but ran.
	c := redis.NewClient(&redis.Options{Addr: m.Addr(), ReadTimeout: 30 * time.Second, MaxRetries: -1})
	return c, func() { c.Close(); m.Close() }, nil
}

// startRedisServer runs the installed redis-server on a free loopback port,
// without persistence, for the demo's lifetime.
func startRedisServer() (redis.UniversalClient, func(), error) {
	path, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(path, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--logfile", "")
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port)})
	for deadline := time.Now().Add(5 * time.Second); c.Ping(context.Background()).Err() != nil; {
		if time.Now().After(deadline) {
			c.Close()
			stop()
			return nil, nil, errors.New("demo: redis-server did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return c, func() { c.Close(); stop() }, nil
}

func startGateway(ctx context.Context, o Options, upstream string, rdb redis.UniversalClient) (*gateway.Gateway, error) {
	cfg := config.Default()
	cfg.Listen, cfg.AdminListen = o.Listen, o.AdminListen
	cfg.UpstreamURL, cfg.UpstreamAPIUser = upstream, ledgersim.DefaultAPIUser
	cfg.RedisURL = "redis://embedded:6379/0" // not dialled: the client is given
	cfg.Workspace = Workspace
	cfg.LogFormat = "text"
	cfg.UpstreamWebhookSecret = upstreamSecret
	cfg.AllowLoopbackHTTPWebhooks = true // the demo partner listens on loopback http
	// A key for this run only: the demo's Redis lives as long as the demo
	// (with --redis-url, webhooks a previous run sealed are skipped, and
	// the walk-through sets its partner's webhook again).
	sealKey, err := seal.Generate("demo")
	if err != nil {
		return nil, err
	}
	cfg.WebhookSealKey = sealKey
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g, err := gateway.New(cfg, gateway.Options{Logger: o.Logger, Redis: rdb})
	if err != nil {
		return nil, err
	}
	if err := g.Start(ctx); err != nil {
		_ = g.Shutdown(context.Background())
		return nil, fmt.Errorf("%w (use --listen / --admin-listen)", err)
	}
	if err := waitSubscribed(ctx, g); err != nil {
		_ = g.Shutdown(context.Background())
		return nil, err
	}
	return g, nil
}

// waitSubscribed waits until the replica hears key changes, so the first
// suspension of the walk-through is seen at once.
func waitSubscribed(ctx context.Context, g *gateway.Gateway) error {
	deadline := time.Now().Add(10 * time.Second)
	for !g.Live() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return errors.New("demo: the gateway did not subscribe to key changes")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// outsideAccount is an account of entity 3, which the demo key does not
// cover.
func outsideAccount(d ledgersim.Dataset) int64 {
	for _, e := range d.Entities {
		if e.ID == 3 && len(e.Accounts) > 0 {
			ids := append([]int(nil), e.Accounts...)
			sort.Ints(ids)
			return int64(ids[0])
		}
	}
	return 999999
}

// movableAccount is an account of entity 1 that moves alone (no ERC-20
// parent or children).
func movableAccount(d ledgersim.Dataset) int64 {
	parents := map[int]bool{}
	for _, a := range d.Accounts {
		if a.Parent != nil {
			parents[*a.Parent] = true
		}
	}
	for _, e := range d.Entities {
		if e.ID != 1 {
			continue
		}
		for _, id := range e.Accounts {
			for _, a := range d.Accounts {
				if a.ID == id && a.Parent == nil && !parents[id] {
					return int64(id)
				}
			}
		}
	}
	return 0
}

// Executable returns the path of the running binary, for Options.Binary.
func Executable() string {
	p, err := os.Executable()
	if err != nil {
		return "reportgate"
	}
	return p
}

var _ registry.EventHandler = (*gateway.Gateway)(nil)
