package ledgersim

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Faults are the injected failures, changeable while running.
type Faults struct {
	// Latency is added to each request outside /_sim/.
	Latency time.Duration
	// ErrorRate is the share of requests answered 500, 502 or 503 (0 to 1).
	ErrorRate float64
	// Leaky makes lists ignore their scope filters (see Config.Leaky).
	Leaky bool
}

// faultsJSON is Faults on the wire: {"latency":"5ms","error_rate":0.1,
// "leaky":true}. Absent fields keep their value on PUT.
type faultsJSON struct {
	Latency   *string  `json:"latency"`
	ErrorRate *float64 `json:"error_rate"`
	Leaky     *bool    `json:"leaky"`
}

// MarshalJSON writes the latency as a Go duration string.
func (f Faults) MarshalJSON() ([]byte, error) {
	l := f.Latency.String()
	return json.Marshal(faultsJSON{&l, &f.ErrorRate, &f.Leaky})
}

// UnmarshalJSON reads the form MarshalJSON writes.
func (f *Faults) UnmarshalJSON(b []byte) error {
	var j faultsJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	next, err := j.apply(Faults{})
	if err != nil {
		return err
	}
	*f = next
	return nil
}

// apply overlays the fields present in j on f.
func (j faultsJSON) apply(f Faults) (Faults, error) {
	if j.Latency != nil {
		d, err := time.ParseDuration(*j.Latency)
		if err != nil {
			return f, invalid("latency %q is not a duration such as 5ms", *j.Latency)
		}
		f.Latency = d
	}
	if j.ErrorRate != nil {
		f.ErrorRate = *j.ErrorRate
	}
	if j.Leaky != nil {
		f.Leaky = *j.Leaky
	}
	return f, f.validate()
}

func (f Faults) validate() error {
	if f.Latency < 0 {
		return invalid("latency %s is negative", f.Latency)
	}
	if !(f.ErrorRate >= 0 && f.ErrorRate <= 1) {
		return invalid("error_rate %v is not between 0 and 1", f.ErrorRate)
	}
	return nil
}

// faultState holds the current faults and the seeded draw for 5xx.
type faultState struct {
	mu  sync.Mutex
	f   Faults
	rng *rand.Rand
}

var faultStatuses = []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}

func newFaultState(cfg Config) *faultState {
	return &faultState{
		f:   Faults{Latency: cfg.Latency, ErrorRate: cfg.ErrorRate, Leaky: cfg.Leaky},
		rng: newRand(cfg.Seed, "faults"),
	}
}

func (fs *faultState) get() Faults {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.f
}

func (fs *faultState) set(f Faults) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.f = f
}

// roll decides whether this request fails, and with which status.
func (fs *faultState) roll() (int, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.f.ErrorRate <= 0 || fs.rng.Float64() >= fs.f.ErrorRate {
		return 0, false
	}
	return faultStatuses[fs.rng.IntN(len(faultStatuses))], true
}
