// Package benchmarks holds Apogee's speed goals as go test benchmarks. Each
// benchmark reports msgs/s (or keys/s, MB/s) and its ratio to a baseline
// measured in the same process run, so that figures from a noisy machine
// are read against the machine itself rather than against a fixed number.
//
// The baseline is the floor of a put: the CRC32 of a 1 KiB body plus a copy
// of the body into a memory mapping (BenchmarkBaseline). "x-baseline" is a
// benchmark's ns/msg divided by the baseline's ns/msg.
//
// Run them with
//
//	go test ./benchmarks/ -run '^$' -bench . -count 5 | tee bench.txt
//	benchstat bench.txt
//
// The crash-recovery benchmark writes a 1 GiB CommitLog into a temporary
// directory once per run. The speed goals (issue "Foundation and the mmap
// store engine") are: append ≤ 3× the baseline's ns/msg; 64 concurrent
// sync-flush appenders ≥ 20× the rate of one; crash recovery ≥ 300 MB/s.
// Benchmarks never fail on a figure: timing thresholds do not belong in
// tests. The README lists the figures last measured.
package benchmarks
