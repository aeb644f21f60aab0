package gen

import "math/rand/v2"

// Source is the generator's only randomness. Intn returns a number in
// [0, n) for n >= 1; label names the draw (rapid logs it). Implementations
// should make 0 the "simplest" answer: every table in this package lists its
// most ordinary choice first, so that a shrinking Source (rapid's) drives
// failing cases toward ordinary steps.
type Source interface {
	Intn(n int, label string) int
}

// randSource is a Source over a seeded math/rand/v2 PCG stream.
type randSource struct{ r *rand.Rand }

// FromRand returns a deterministic Source: the same seed gives the same
// draws. It is what `forkspec check` uses.
func FromRand(seed uint64) Source {
	return randSource{rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func (s randSource) Intn(n int, _ string) int {
	if n <= 1 {
		return 0
	}
	return s.r.IntN(n)
}

// intn is Intn guarded against n < 1 (which answers 0), so callers can pass
// the length of a possibly empty slice.
func intn(src Source, n int, label string) int {
	if n <= 1 {
		return 0
	}
	v := src.Intn(n, label)
	if v < 0 || v >= n {
		// A Source outside its contract must not crash the generator.
		v = ((v % n) + n) % n
	}
	return v
}

// weighted returns an index into weights, chosen with probability
// proportional to its weight. Zero weights are never chosen unless every
// weight is zero, in which case it returns 0.
func weighted(src Source, label string, weights ...int) int {
	total := 0
	for _, w := range weights {
		if w > 0 {
			total += w
		}
	}
	if total == 0 {
		return 0
	}
	x := intn(src, total, label)
	for i, w := range weights {
		if w <= 0 {
			continue
		}
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

// chance reports true with probability num/den. The draw 0 means false, so
// a shrinking Source prefers "no".
func chance(src Source, num, den int, label string) bool {
	return intn(src, den, label) >= den-num
}

// choice is one entry of a weighted table of values.
type choice[T any] struct {
	w int
	v T
}

// pickFrom returns the value of one entry of table, chosen by weight.
func pickFrom[T any](src Source, label string, table []choice[T]) T {
	total := 0
	for _, c := range table {
		total += max(c.w, 0)
	}
	x := intn(src, total, label)
	for _, c := range table {
		if c.w <= 0 {
			continue
		}
		if x < c.w {
			return c.v
		}
		x -= c.w
	}
	return table[0].v
}
