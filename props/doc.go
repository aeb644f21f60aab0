// Package props holds forkspec's property suites: a rapid state machine that
// drives the reference model and the optimized impl in lockstep on generated
// steps (package gen), and named properties checked after every step.
//
// After every step the Machine checks, in order: no backend panicked; every
// abi.Checker's invariants hold; the Results are equal; the Views are equal
// (cmp.Diff shown "-model +impl"); and the enabled properties hold on every
// backend's Views before and after the step (checks.go). The first failure
// stops the run and is written as a trace under testdata/failures/, with the
// command that replays it by meaning.
//
// Where to start reading: machine.go (Machine), checks.go (the properties;
// the ones that need no model in checks_inherit.go, checks_reap.go,
// checks_wait.go and checks_fd.go), props_test.go and life_test.go (one
// Test per property), reduce.go (Reduce, with traces.Shrink).
//
// # Running
//
//	go test ./props                          default budget (TestMain: 300 runs x ~100 steps)
//	go test ./props -v -run TestRefinement   … and print the event coverage table
//	go test ./props -run 'TestRefinement|TestFrameConservation|TestCOWIsolation|…' \
//	    -rapid.checks=20000 -rapid.steps=200 -timeout 6h           the long search (make props)
//	go test ./props -run '^$' -fuzz FuzzRefinement -fuzztime 10m  coverage-guided
//	go test ./props -run '^$' -bench Lockstep -cpu 1              lockstep steps/s
//	props/mutate.sh                                               gremlins over impl (make mutate)
//
// A failure prints the reduced trace, writes it under props/testdata/failures
// and names the command that replays it:
// go run ./cmd/forkspec replay -backend both props/testdata/failures/NAME.trace
//
// What is deliberately not here: any knowledge of how a backend works. The
// properties read Results and canonical Views only, except frame
// conservation, which asks the impl for its frame counts.
package props
