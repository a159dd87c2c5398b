package ledgersim

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// Server is the simulator: the data set, the HTTP API, the control API and
// the notifier. Its methods are safe for concurrent use. Create it with
// New; release it with Close.
type Server struct {
	cfg     Config
	handler http.Handler
	faults  *faultState
	rec     *recorder
	notify  *notifier
	enums   specEnums
	rate    rateWindow

	mu sync.RWMutex // guards st (the pointer and its contents)
	st *store

	lmu    sync.Mutex // guards srv, url and closed
	srv    *http.Server
	url    string
	closed bool
}

// New validates cfg, generates the seeded data set and starts the
// notifier. The server answers through Handler at once; Start or Serve
// puts it on a listener.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Server{cfg: cfg, st: generate(cfg), faults: newFaultState(cfg), rec: &recorder{}}
	enums, err := loadSpecEnums()
	if err != nil {
		return nil, err
	}
	s.enums = enums
	api, err := s.apiMux()
	if err != nil {
		return nil, err
	}
	s.handler = s.root(api, s.controlMux())
	s.notify = newNotifier(cfg.Now, webhook{URL: cfg.WebhookURL, Secret: cfg.WebhookSecret})
	return s, nil
}

// Handler returns the simulator's HTTP handler (the upstream API and
// /_sim/), for use without a listener, e.g. with httptest.
func (s *Server) Handler() http.Handler { return s.handler }

var (
	// errStarted is returned when Start or Serve is called a second time.
	errStarted = errors.New("ledgersim: already started")
	// errClosed is returned by Start or Serve after Close or Shutdown.
	errClosed = errors.New("ledgersim: closed")
)

// Start serves on l in a new goroutine and returns at once; URL is set on
// return.
func (s *Server) Start(l net.Listener) error {
	srv, err := s.bind(l)
	if err != nil {
		return err
	}
	go srv.Serve(l)
	return nil
}

// Serve serves on l until Close or Shutdown, then returns nil; or returns
// the listener's error.
func (s *Server) Serve(l net.Listener) error {
	srv, err := s.bind(l)
	if err != nil {
		return err
	}
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *Server) bind(l net.Listener) (*http.Server, error) {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	switch {
	case s.closed:
		return nil, errClosed
	case s.srv != nil:
		return nil, errStarted
	}
	s.srv = &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	s.url = "http://" + l.Addr().String()
	return s.srv, nil
}

// URL is the base URL the server listens on, "" before Start or Serve.
func (s *Server) URL() string {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	return s.url
}

// Shutdown stops accepting requests and waits for those in flight (or for
// ctx), then stops the notifier.
func (s *Server) Shutdown(ctx context.Context) error {
	var err error
	if srv := s.markClosed(); srv != nil {
		err = srv.Shutdown(ctx)
	}
	if s.notify != nil {
		s.notify.close()
	}
	return err
}

// Close stops the server at once and the notifier's goroutine. It is safe
// to call after a partial start and more than once.
func (s *Server) Close() error {
	var err error
	if srv := s.markClosed(); srv != nil {
		err = srv.Close()
	}
	if s.notify != nil {
		s.notify.close()
	}
	return err
}

// markClosed stops later Start and Serve calls and returns the running
// server, if any.
func (s *Server) markClosed() *http.Server {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	s.closed = true
	return s.srv
}
