// Package redistest starts a real redis-server on a free loopback port for a
// test and stops it when the test ends. It exists so that registry, proxy and
// admin tests run against Redis itself rather than a mock.
//
// It needs the redis-server binary (Debian package redis-server); `make test`
// installs it when missing. Without it, Start fails the test with a message
// naming the install command. It must never be imported by non-test code.
package redistest
