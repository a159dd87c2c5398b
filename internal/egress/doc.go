// Package egress keeps partner-chosen webhook URLs from reaching inside the
// operator's network (server-side request forgery): a partner registers a
// URL, the gateway POSTs signed events to it, so the gateway must not
// become the partner's way to the metadata service, the Redis next door or
// an internal admin page. Hosts given as addresses are checked when the URL
// is registered; every connection is checked again on the address it dials,
// after DNS resolution, so a name cannot be pointed inside later. An IPv6
// address that leads to an IPv4 one (NAT64's 64:ff9b::/96, 6to4's 2002::/16)
// is judged by that IPv4 address; Teredo, local-use NAT64 and the deprecated
// IPv4-compatible and IPv4-translated forms are refused whole.
package egress
