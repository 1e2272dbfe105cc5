package env

import (
	"math/rand/v2"
	"sync"
	"time"
)

// Real returns the production Env: the wall clock, the operating system's
// file system with mmap, math/rand/v2's top-level generator, and TCP with
// the default bounds. See the package doc for the details of each.
func Real() Env {
	return Env{Clock: wallClock{}, FS: osFS{}, Rand: globalRand{}, Net: &TCPNetwork{}}
}

// wallClock is the Clock of time.Now and time.AfterFunc.
type wallClock struct{}

// Now returns the wall-clock time.
func (wallClock) Now() time.Time { return time.Now() }

// AfterFunc schedules f on its own goroutine after d. *time.Timer already has
// the Stop method Timer asks for.
func (wallClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// globalRand is the Rand of math/rand/v2's top-level functions, which are
// safe for concurrent use and seeded randomly at start.
type globalRand struct{}

// Int63 returns a non-negative pseudo-random int64.
func (globalRand) Int63() int64 { return rand.Int64() }

// Intn returns a pseudo-random int in [0, n); it panics if n <= 0.
func (globalRand) Intn(n int) int { return rand.IntN(n) }

// Float64 returns a pseudo-random float64 in [0.0, 1.0).
func (globalRand) Float64() float64 { return rand.Float64() }

// seedStream is the second word of the PCG state built from a seed. It is a
// fixed odd constant (the 64-bit golden ratio) so that one uint64 seed names
// exactly one sequence.
const seedStream = 0x9e3779b97f4a7c15

// seededRand is a deterministic PCG generator behind a mutex.
type seededRand struct {
	mu sync.Mutex
	r  *rand.Rand
}

// NewSeededRand returns a deterministic Rand: two generators built from the
// same seed return the same sequence. It is safe for concurrent use (calls
// are serialized), though only a single-goroutine caller gets a reproducible
// sequence.
func NewSeededRand(seed uint64) Rand {
	return &seededRand{r: rand.New(rand.NewPCG(seed, seedStream))}
}

// Int63 returns a non-negative pseudo-random int64.
func (s *seededRand) Int63() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.r.Int64()
}

// Intn returns a pseudo-random int in [0, n); it panics if n <= 0.
func (s *seededRand) Intn(n int) int {
	if n <= 0 {
		panic("env: Intn called with n <= 0")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.r.IntN(n)
}

// Float64 returns a pseudo-random float64 in [0.0, 1.0).
func (s *seededRand) Float64() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.r.Float64()
}
