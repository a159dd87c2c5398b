package simtest

import (
	"net"
	"testing"

	"reportgate/internal/ledgersim"
)

// Start creates a simulator from cfg, serves it on a free 127.0.0.1 port
// and closes it when the test ends. Its URL is set on return. It fails
// the test if the simulator cannot start.
func Start(tb testing.TB, cfg ledgersim.Config) *ledgersim.Server {
	tb.Helper()
	s, err := ledgersim.New(cfg)
	if err != nil {
		tb.Fatalf("simtest: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("simtest: listen: %v", err)
	}
	if err := s.Start(l); err != nil {
		l.Close()
		tb.Fatalf("simtest: %v", err)
	}
	return s
}
