// Package cmdutil holds what Apogee's commands (mqnamesrv, mqbroker, apogee)
// share: reading a bounded configuration file, the Java properties syntax of
// RocketMQ's configuration files, logging to stderr and a file, stopping on
// SIGINT or SIGTERM, and choosing the address a server publishes.
//
// # Properties files
//
// ParseProperties reads the Java properties syntax (key=value, key:value or
// key value; '#' and '!' comments; '\' line continuations and escapes) as
// UTF-8, which is what RocketMQ's broker.conf and namesrv.properties use in
// practice. Unlike magiconair/properties' default, "${name}" is kept
// literally: Java does not expand it, and expansion would read environment
// variables behind the user's back. A key given twice keeps its last value
// and its first position. WriteProperties escapes what the parser would
// otherwise change, so ParseProperties(WriteProperties(m)) == m for every
// map m of valid UTF-8 strings whose keys are non-empty.
//
// # Invariants
//
//   - ReadFile never returns more than its bound: a longer file is an error
//     matching ErrTooLarge, never a truncated configuration.
//   - Parsing never panics on any input; errors match ErrSyntax.
//   - PickHostIPv4 returns a valid IPv4 address, 127.0.0.1 when no candidate
//     qualifies.
//   - StopOnSignal's channel is closed exactly once, by the first SIGINT or
//     SIGTERM or by the release function; after the first signal a second
//     one gets the default behaviour (it ends the process), so an operator
//     can still kill a shutdown that hangs.
package cmdutil
