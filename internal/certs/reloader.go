package certs

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultInterval is how often a Reloader looks at its files.
const DefaultInterval = 5 * time.Second

// Options configure a Reloader. Zero values are the documented defaults.
type Options struct {
	// Name says which listener the pair serves, in log lines ("partner",
	// "admin").
	Name string
	// Interval between looks at the files. Default DefaultInterval.
	Interval time.Duration
	// Now is the clock validity is checked against. Default time.Now.
	Now func() time.Time
	// Logger hears of every reload and every pair refused. Default
	// slog.Default().
	Logger *slog.Logger
}

// Reloader serves a certificate and key read from files, re-read when they
// change. Safe for concurrent use.
type Reloader struct {
	certFile, keyFile string
	opts              Options
	cur               atomic.Pointer[tls.Certificate]

	mu     sync.Mutex // one reload at a time; guards seen
	seen   [2]os.FileInfo
	loaded atomic.Uint64 // pairs loaded, the first included (tests wait on it)
}

// NewReloader loads the pair once and fails as LoadPair does: a listener
// never starts without a certificate it can serve.
func NewReloader(certFile, keyFile string, opts Options) (*Reloader, error) {
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	r := &Reloader{certFile: certFile, keyFile: keyFile, opts: opts}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.loadLocked(); err != nil {
		return nil, err
	}
	return r, nil
}

// GetCertificate is tls.Config.GetCertificate: the pair loaded last.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.cur.Load(), nil
}

// Current is the pair served to new connections.
func (r *Reloader) Current() *tls.Certificate { return r.cur.Load() }

// Loaded counts the pairs loaded since NewReloader, the first included.
func (r *Reloader) Loaded() uint64 { return r.loaded.Load() }

// ServerConfig is a listener's TLS configuration over r: TLS 1.2 and 1.3
// with the standard library's cipher suites and curves. With clientCAs,
// clients are asked for a certificate, and one given must chain to them;
// none is required.
func (r *Reloader) ServerConfig(clientCAs *x509.CertPool) *tls.Config {
	c := &tls.Config{GetCertificate: r.GetCertificate, MinVersion: tls.VersionTLS12}
	if clientCAs != nil {
		c.ClientCAs, c.ClientAuth = clientCAs, tls.VerifyClientCertIfGiven
	}
	return c
}

// Reload re-reads the files now, whether or not they changed (SIGHUP). A
// pair that fails its checks is logged and returned; the previous one
// keeps serving.
func (r *Reloader) Reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.loadLocked()
}

// Run looks at the files every Interval until ctx ends, and reloads when
// either changed.
func (r *Reloader) Run(ctx context.Context) {
	t := time.NewTicker(r.opts.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.reloadIfChanged()
		}
	}
}

func (r *Reloader) reloadIfChanged() {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := [2]os.FileInfo{stat(r.certFile), stat(r.keyFile)}
	if same(now[0], r.seen[0]) && same(now[1], r.seen[1]) {
		return
	}
	_ = r.loadLocked() // logged; retried at the files' next change
}

// loadLocked reads the pair; the files' state is recorded first, so a
// change during the read is seen at the next look.
func (r *Reloader) loadLocked() error {
	r.seen = [2]os.FileInfo{stat(r.certFile), stat(r.keyFile)}
	pair, err := LoadPair(r.certFile, r.keyFile, r.opts.Now())
	first := r.cur.Load() == nil
	if err != nil {
		if !first {
			r.opts.Logger.Error("TLS certificate not reloaded: the previous one keeps serving",
				"listener", r.opts.Name, "err", err)
		}
		return err
	}
	r.cur.Store(pair)
	r.loaded.Add(1)
	r.opts.Logger.Info("TLS certificate loaded", "listener", r.opts.Name, "subject", pair.Leaf.Subject.String(),
		"not_after", pair.Leaf.NotAfter.UTC().Format(time.RFC3339), "reload", !first)
	return nil
}

// stat is the file's state, nil when it cannot be read: a file that
// disappears and comes back is a change.
func stat(path string) os.FileInfo {
	fi, err := os.Stat(path) // follows symbolic links, as Kubernetes' secret volumes swap them
	if err != nil {
		return nil
	}
	return fi
}

func same(a, b os.FileInfo) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}
