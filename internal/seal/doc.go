// Package seal encrypts the few secrets the gateway must keep in Redis
// (partner webhook secrets, which sign deliveries and so cannot be hashed)
// under a key held outside Redis, so that whoever reads Redis or a backup of
// it cannot sign notifications to partners.
//
// A Keyring holds the current key, which seals, and previous keys, which
// only open: rotation adds a key, makes it current, re-seals what is stored,
// then drops the old one. Each sealed value names the key that sealed it:
//
//	rgs1.<key id>.<base64url(nonce ‖ AES-256-GCM ciphertext ‖ tag)>
//
// AES-256-GCM from the standard library, a random 96-bit nonce per value.
// The caller binds each value to where it is stored (associated data), so a
// sealed value copied to another record does not open there.
//
// Keys are written "<id>:<base64 of 32 random bytes>"; Generate makes one.
// Nothing here logs, and no error quotes a key or a plaintext.
package seal
