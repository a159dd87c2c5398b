package logbuf

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// Writer is an io.Writer for a logger, safe for concurrent use.
type Writer struct {
	mu     sync.Mutex
	buf    *bufio.Writer
	closed bool // after Close, lines go straight through
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
}

// New buffers up to size bytes for w and flushes them on every tick of
// flush (time.NewTicker(d).C in a process, a test's channel in tests).
func New(w io.Writer, size int, flush <-chan time.Time) *Writer {
	b := &Writer{buf: bufio.NewWriterSize(w, size), stop: make(chan struct{}), done: make(chan struct{})}
	go b.run(flush)
	return b
}

// Every returns a Writer flushed every d; its Close also stops the ticker.
func Every(w io.Writer, size int, d time.Duration) *Writer {
	t := time.NewTicker(d)
	b := New(w, size, t.C)
	go func() { <-b.done; t.Stop() }()
	return b
}

// Write buffers p whole; a full buffer is written out first. After Close
// it writes p at once.
func (b *Writer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		n, err := b.buf.Write(p)
		if err == nil {
			err = b.buf.Flush()
		}
		return n, err
	}
	if len(p) > b.buf.Available() && b.buf.Buffered() > 0 {
		if err := b.buf.Flush(); err != nil {
			return 0, err
		}
	}
	return b.buf.Write(p)
}

// Flush writes out what is buffered.
func (b *Writer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Flush()
}

// Close stops the flushing and writes out what is buffered; later lines
// are written at once, so nothing logged after it is lost.
func (b *Writer) Close() error {
	b.once.Do(func() { close(b.stop) })
	<-b.done
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	return b.buf.Flush()
}

func (b *Writer) run(flush <-chan time.Time) {
	defer close(b.done)
	for {
		select {
		case <-b.stop:
			return
		case <-flush:
			b.mu.Lock()
			if b.buf.Buffered() > 0 {
				_ = b.buf.Flush() // a failing log sink must not stop the gateway
			}
			b.mu.Unlock()
		}
	}
}
