package main

import (
	"fmt"
	"path/filepath"
	"strconv"
)

// The response cache's comparison (-cache): the list route through
// gw-cache, the gateway with --upstream-cache-ttl, against nginx-cache,
// nginx's proxy_cache with the same validity, on its own address. Both
// check nothing of the partner on a hit that the other does not: the
// gateway authenticates, rate-limits, resolves the scope and verifies
// the cached body against it; nginx serves the cached bytes (it has no
// keys). Both coalesce concurrent misses (proxy_cache_lock).

// startCacheGateway starts gw-cache.
func (d *driver) startCacheGateway(upPort, redisPort int, list route) (target, error) {
	env := []string{"REPORTGATE_UPSTREAM_CACHE_TTL=" + d.cacheTTL.String()}
	p, addr, _, err := d.startGateway("gw-cache", d.bin("reportgate"), env, upPort, redisPort, "warn")
	if err != nil {
		return target{}, err
	}
	return target{name: "gw-cache", addr: addr, proxy: []int{p.pid()}, routes: []route{list}}, nil
}

// nginxCacheServer is nginx-cache's configuration: the plain proxy_pass
// with a proxy_cache keeping 200 answers for ttl (whole seconds, at
// least 1), keyed by the request target, with concurrent misses
// coalesced.
func nginxCacheServer(dir, listen, upstreamUser string, ttl int) string {
	return fmt.Sprintf(`    proxy_cache_path %[1]s levels=1:2 keys_zone=rg:10m max_size=64m inactive=60s use_temp_path=off;
    server {
        listen %[2]s;
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Ledger-API-User %[3]s;
            proxy_cache rg;
            proxy_cache_key $request_uri;
            proxy_cache_valid 200 %[4]ds;
            proxy_cache_lock on;
        }
    }
`, filepath.Join(dir, "nginx-cache"), listen, upstreamUser, ttl)
}

// cacheServer is the nginx configuration of -cache, and nginx-cache's
// address; none without -cache.
func (d *driver) cacheServer(dir, upstreamUser string) (conf, addr string, err error) {
	if !d.cache {
		return "", "", nil
	}
	port, err := freePort()
	if err != nil {
		return "", "", err
	}
	addr = "127.0.0.1:" + strconv.Itoa(port)
	ttl := max(int(d.cacheTTL.Seconds()), 1)
	return nginxCacheServer(dir, addr, upstreamUser, ttl), addr, nil
}
