// Package certs serves TLS from files an operator manages: it loads a
// certificate and its key, checks them before anything listens (readable,
// PEM, the key matches the certificate, valid now), and keeps serving the
// current pair while the files change underneath, without a restart and
// without touching open connections.
//
// A Reloader is the tls.Config.GetCertificate of a listener: every new
// handshake gets the pair loaded last; connections already open keep the
// certificate they were made with. It re-reads the files when their
// modification time, size or identity change (a poll every few seconds:
// fsnotify is not among the project's modules, and a stat of two files is
// cheap), or at once on Reload (SIGHUP). A pair that fails its checks on
// reload is logged and ignored: the previous one keeps serving, so a
// half-written rotation never takes a listener down.
//
// LoadCAPool reads the client CA bundle (--client-ca), once at start-up.
// The package knows nothing of listeners or configuration; it never logs a
// key.
package certs
