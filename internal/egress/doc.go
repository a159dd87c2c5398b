// Package egress keeps partner-chosen webhook URLs from reaching inside the
// operator's network (server-side request forgery): a partner registers a
// URL, the gateway POSTs signed events to it, so the gateway must not
// become the partner's way to the metadata service, the Redis next door or
// an internal admin page. Hosts given as addresses are checked when the URL
// is registered; every connection is checked again on the address it dials,
// after DNS resolution, so a name cannot be pointed inside later.
package egress
