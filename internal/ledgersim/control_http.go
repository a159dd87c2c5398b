package ledgersim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// simHandler answers a /_sim/ request: a status and a value to encode, or
// an error for toAPIError.
type simHandler func(r *http.Request) (int, any, error)

// controlMux serves /_sim/: the data set oracle, the request recording,
// the notification log, the faults and the data changes. JSON in and out;
// errors in the Error shape.
func (s *Server) controlMux() http.Handler {
	routes := map[string]map[string]simHandler{
		"/_sim/dataset":                  {"GET": s.simDataset},
		"/_sim/requests":                 {"GET": s.simRecorded, "DELETE": s.simForget, "POST": s.simAddRequest},
		"/_sim/webhooks":                 {"GET": s.simNotifications},
		"/_sim/webhook":                  {"PUT": s.simSetWebhook},
		"/_sim/faults":                   {"GET": s.simFaults, "PUT": s.simSetFaults},
		"/_sim/reset":                    {"POST": s.simReset},
		"/_sim/accounts":                 {"POST": s.simAddAccount},
		"/_sim/accounts/{id}/move":       {"POST": s.simMove},
		"/_sim/accounts/{id}/governance": {"PUT": s.simGovernance},
		"/_sim/transactions":             {"POST": s.simAddTransaction},
		"/_sim/groups/{id}/members":      {"PUT": s.simMembers},
	}
	mux := http.NewServeMux()
	for p, methods := range routes {
		mux.Handle(p, methodSwitch(methods))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { writeError(w, unknownPath(r)) })
	return mux
}

func methodSwitch(methods map[string]simHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, ok := methods[r.Method]
		if !ok {
			allowed := make([]string, 0, len(methods))
			for m := range methods {
				allowed = append(allowed, m)
			}
			slices.Sort(allowed)
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			writeError(w, &apiError{http.StatusMethodNotAllowed, "MethodNotAllowed", "allowed: " + strings.Join(allowed, ", ")})
			return
		}
		status, body, err := h(r)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, status, body)
	})
}

// maxBody bounds the request bodies the simulator reads.
const maxBody = 1 << 20

// decodeBody reads one JSON value into v, refusing unknown fields.
func decodeBody(r *http.Request, v any) error {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return badBody("reading the body: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badBody("%v", err)
	}
	if dec.More() {
		return badBody("more than one JSON value")
	}
	return nil
}

func pathID(r *http.Request) (int, error) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		return 0, notFound(fmt.Sprintf("object %q", r.PathValue("id")))
	}
	return id, nil
}

func (s *Server) simDataset(*http.Request) (int, any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return http.StatusOK, s.st.datasetView(), nil
}

func (s *Server) simRecorded(r *http.Request) (int, any, error) {
	since := 0
	if v := r.URL.Query().Get("since"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, nil, badQueryf("since must be a sequence number, got %q", v)
		}
		since = n
	}
	return http.StatusOK, s.rec.since(since), nil
}

func (s *Server) simForget(*http.Request) (int, any, error) {
	s.rec.reset()
	return http.StatusOK, map[string]bool{"cleared": true}, nil
}

func (s *Server) simNotifications(*http.Request) (int, any, error) {
	return http.StatusOK, s.Notifications(), nil
}

func (s *Server) simSetWebhook(r *http.Request) (int, any, error) {
	var w webhook
	if err := decodeBody(r, &w); err != nil {
		return 0, nil, err
	}
	if err := s.SetWebhook(w.URL, w.Secret); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, w, nil
}

func (s *Server) simFaults(*http.Request) (int, any, error) {
	return http.StatusOK, s.Faults(), nil
}

func (s *Server) simSetFaults(r *http.Request) (int, any, error) {
	var j faultsJSON
	if err := decodeBody(r, &j); err != nil {
		return 0, nil, err
	}
	f, err := j.apply(s.Faults())
	if err != nil {
		return 0, nil, err
	}
	s.faults.set(f)
	return http.StatusOK, f, nil
}

func (s *Server) simReset(*http.Request) (int, any, error) {
	s.Reset()
	return http.StatusOK, map[string]bool{"reset": true}, nil
}

// moveJSON is POST /_sim/accounts/{id}/move's answer; null entities are
// none.
type moveJSON struct {
	Accounts []int `json:"accounts"`
	From     *int  `json:"from"`
	To       *int  `json:"to"`
}

func (s *Server) simMove(r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var body struct {
		Entity json.RawMessage `json:"entity"`
	}
	if err := decodeBody(r, &body); err != nil {
		return 0, nil, err
	}
	entity, err := nullableID(body.Entity, "entity")
	if err != nil {
		return 0, nil, err
	}
	m, err := s.MoveAccount(id, entity)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, moveJSON{m.Accounts, orNull(m.From), orNull(m.To)}, nil
}

// nullableID reads a required id that may be null (0).
func nullableID(raw json.RawMessage, name string) (int, error) {
	if len(raw) == 0 {
		return 0, badBody("%s is required: an id, or null for none", name)
	}
	if string(raw) == "null" {
		return 0, nil
	}
	var id int
	if err := json.Unmarshal(raw, &id); err != nil || id < 1 {
		return 0, badBody("%s must be a positive id or null, got %s", name, raw)
	}
	return id, nil
}

func orNull(id int) *int {
	if id == 0 {
		return nil
	}
	return &id
}

func (s *Server) simAddTransaction(r *http.Request) (int, any, error) {
	var n NewTransaction
	if err := decodeBody(r, &n); err != nil {
		return 0, nil, err
	}
	tx, err := s.AddTransaction(n)
	return http.StatusCreated, tx, err
}

func (s *Server) simGovernance(r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var body struct {
		GovernanceRules []RuleSet `json:"governance_rules"`
	}
	if err := decodeBody(r, &body); err != nil {
		return 0, nil, err
	}
	if body.GovernanceRules == nil {
		return 0, nil, badBody("governance_rules is required (a list of rule sets)")
	}
	a, err := s.SetGovernance(id, body.GovernanceRules)
	return http.StatusOK, a, err
}

func (s *Server) simAddAccount(r *http.Request) (int, any, error) {
	var n NewAccount
	if err := decodeBody(r, &n); err != nil {
		return 0, nil, err
	}
	a, err := s.AddAccount(n)
	return http.StatusCreated, a, err
}

func (s *Server) simMembers(r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var body struct {
		Members []int `json:"members"`
	}
	if err := decodeBody(r, &body); err != nil {
		return 0, nil, err
	}
	if body.Members == nil {
		return 0, nil, badBody("members is required (a list of user ids)")
	}
	g, err := s.SetGroupMembers(id, body.Members)
	return http.StatusOK, g, err
}

func (s *Server) simAddRequest(r *http.Request) (int, any, error) {
	var n NewRequest
	if err := decodeBody(r, &n); err != nil {
		return 0, nil, err
	}
	req, err := s.AddRequest(n)
	return http.StatusCreated, req, err
}
