// Package config owns the gateway's one configuration struct: its defaults,
// its flags (pflag), the REPORTGATE_* environment variables that mirror them
// (a flag given on the command line wins over its variable), and Validate,
// which reports every problem at once, each naming the flag, the variable
// and the fix.
//
// Values derived from the raw settings (parsed URLs, CIDR ranges) are computed
// once by Validate and kept beside them, so nothing is parsed on the request
// path. The package must not start anything or touch the network.
package config
