package main

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/valyala/fasthttp"

	"reportgate/benchmarks/origin"
	"reportgate/registry"
)

// manyKeys measures the gateway's memory with n keys in its cache: it files
// n keys through the registry's own workflow (a creation request, two
// approvals, a reveal each: the records the gateway reads are the real
// ones), sends one request per key through the gateway, so each is looked
// up in Redis and cached, and reads the gateway's RSS. It returns the
// summary line.
func (d *driver) manyKeys(ctx context.Context, rg *rig, n int) (string, error) {
	var gwAddr string
	for _, t := range rg.targets {
		if t.name == "gw" {
			gwAddr = t.addr
		}
	}
	opts, err := redis.ParseURL(d.redisURL)
	if err != nil {
		return "", err
	}
	client := redis.NewClient(opts)
	defer client.Close()
	reg, err := registry.New(client, workspace, registry.Options{})
	if err != nil {
		return "", err
	}
	var admins []string
	for _, name := range []string{"dave", "erin", "frank"} {
		a, _, err := reg.CreateAdmin(ctx, name)
		if err != nil {
			return "", err
		}
		admins = append(admins, a.ID)
	}
	before := rssKiB(rg.gwPid)
	start := time.Now()
	secrets := make([]string, n)
	if err := parallel(ctx, 8, n, func(i int) error {
		k, req, err := reg.FileCreate(ctx, admins[0], "many-"+strconv.Itoa(i), []int64{origin.EntityID})
		if err != nil {
			return err
		}
		for _, a := range admins[1:] {
			if _, _, err := reg.Approve(ctx, a, req.ID); err != nil {
				return err
			}
		}
		_, secrets[i], err = reg.Reveal(ctx, admins[0], k.ID)
		return err
	}); err != nil {
		return "", fmt.Errorf("many keys: filing: %w", err)
	}
	filed := time.Since(start)
	d.logf("many keys: %d keys filed, approved and revealed in %v", n, filed.Round(time.Second))

	start = time.Now()
	hc := &fasthttp.HostClient{Addr: gwAddr, MaxConns: 8}
	var refused atomic.Int64
	if err := parallel(ctx, 8, n, func(i int) error {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		req.SetRequestURI("http://" + gwAddr + origin.AccountPath)
		req.Header.Set("X-Ledger-Reporting-API-Key", secrets[i])
		req.Header.Set("X-Ledger-Workspace", workspace)
		if err := hc.DoTimeout(req, resp, 30*time.Second); err != nil {
			return err
		}
		if resp.StatusCode() != fasthttp.StatusOK {
			refused.Add(1)
		}
		return nil
	}); err != nil {
		return "", fmt.Errorf("many keys: requests: %w", err)
	}
	if r := refused.Load(); r != 0 {
		return "", fmt.Errorf("many keys: %d of %d first requests were not 200", r, n)
	}
	after := rssKiB(rg.gwPid)
	d.logf("many keys: one request per key in %v; gateway RSS %.1f → %.1f MiB", time.Since(start).Round(time.Second),
		float64(before)/1024, float64(after)/1024)
	return fmt.Sprintf("RSS with %d more keys cached (each filed, approved twice and revealed through the registry, then used once): %.1f MiB (%.1f before them)",
		n, float64(after)/1024, float64(before)/1024), nil
}

// parallel runs f(0..n-1) on workers goroutines and returns the first error.
func parallel(ctx context.Context, workers, n int, f func(int) error) error {
	var next atomic.Int64
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := f(i); err != nil {
					once.Do(func() { first = err })
					next.Store(int64(n)) // stop the others
					return
				}
			}
		})
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}
