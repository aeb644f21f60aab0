package traces

import (
	"fmt"

	"github.com/forkspec/forkspec/abi"
)

// Asserter checks a trace's assertions on one kernel as the trace's steps
// run: Stream uses one per backend, and docs.Run one per spec. Call
// BeforeStep(i) just before step i (0-based) runs, and AfterStep(i, v) with
// the View after it; AfterStep(-1, v) checks the assertions on the initial
// state.
//
// Zero value: not usable; build one with NewAsserter. Not safe for
// concurrent use.
type Asserter struct {
	backend string
	// namer names frames across steps; nil when the kernel cannot, and
	// then `kept` assertions are unchecked, never passed.
	namer abi.FrameNamer
	// after holds the assertions by the number of steps above them
	// (Assertion.After). Invariant: every entry points into the slice given
	// to NewAsserter.
	after map[int][]*Assertion
	// before holds, for the `kept` assertions after the step about to run,
	// their page's frame identity before it.
	before    map[*Assertion]FrameRef
	unchecked []string
}

// NewAsserter prepares asserts (from Trace.Asserts, which it does not
// modify) for checking on kernel k of the named backend.
func NewAsserter(backend string, k abi.Kernel, asserts []Assertion) *Asserter {
	c := &Asserter{backend: backend, after: map[int][]*Assertion{}, before: map[*Assertion]FrameRef{}}
	c.namer, _ = k.(abi.FrameNamer)
	for i := range asserts {
		a := &asserts[i]
		c.after[a.After] = append(c.after[a.After], a)
	}
	return c
}

// Due reports whether assertions follow step i (-1: the initial state), so
// that a caller can skip building a View no one checks.
func (c *Asserter) Due(i int) bool { return len(c.after[i+1]) > 0 }

// BeforeStep records, for the `kept` assertions written after step i, the
// frame identity their page has before the step.
func (c *Asserter) BeforeStep(i int) {
	clear(c.before)
	if c.namer == nil {
		return
	}
	for _, a := range c.after[i+1] {
		if a.NeedsFrameIDs() {
			tid, addr := a.Page()
			id, ok := c.namer.FrameID(tid, addr)
			c.before[a] = FrameRef{id, ok}
		}
	}
}

// AfterStep checks every assertion written after step i (-1: before the
// first step) on v, the kernel's View now, and returns those that do not
// hold, in order. An assertion the kernel cannot check is not a failure; it
// is listed by Unchecked.
func (c *Asserter) AfterStep(i int, v abi.View) []*AssertionError {
	var fails []*AssertionError
	for _, a := range c.after[i+1] {
		var now FrameRef
		if a.NeedsFrameIDs() {
			if c.namer == nil {
				c.unchecked = append(c.unchecked, fmt.Sprintf("line %d: %s (%s cannot name frames across steps)", a.Line, a.Text, c.backend))
				continue
			}
			tid, addr := a.Page()
			now.ID, now.OK = c.namer.FrameID(tid, addr)
		}
		if err := a.Check(v, c.before[a], now); err != nil {
			fails = append(fails, &AssertionError{Assertion: *a, Backend: c.backend, Err: err})
		}
	}
	return fails
}

// Unchecked lists the assertions seen so far that the kernel could not
// check, as "line N: TEXT (why)".
func (c *Asserter) Unchecked() []string { return c.unchecked }

// AssertionError is an assertion that does not hold on a backend.
type AssertionError struct {
	Assertion Assertion
	Backend   string
	// Err says what the View shows instead.
	Err error
}

// Error reads "expect TEXT: what holds instead".
func (e *AssertionError) Error() string {
	return fmt.Sprintf("expect %s: %v", e.Assertion.Text, e.Err)
}

// Unwrap returns the mismatch.
func (e *AssertionError) Unwrap() error { return e.Err }
