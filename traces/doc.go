// Package traces is forkspec's durable record of behaviour: a text format
// for sequences of steps with expected results and `# expect:` assertions on
// the View, its parser and printer, replay of a trace on one backend or
// several in lockstep, and the corpus of
// teaching traces in this directory (every *.trace here runs in `go test`).
//
// A trace replays by meaning, not by random stream: rapid's fail files
// decode differently when an action is added, a trace file does not. So
// every failure found by the property suites or `forkspec check` is written
// as a trace (Record, WriteFailure) and can be replayed, read and edited.
//
// Where to start reading: README.md (the format, with a legend), trace.go
// (the types), parse.go and format.go (text in and out), assert.go (the
// assertion language) and asserter.go (checking it as steps run), replay.go
// (Stream, Lock, and Replay, Run, Lockstep on top), incremental.go (a Lock
// that compares what each step touched, the full checks on a schedule),
// divergence.go (what a
// failure reports), shrink.go and simplify.go (Shrink, the reducer that
// `forkspec check` and the property suites share), reduce.go (Reduce:
// Shrink for a diverging trace) and record.go (Record, WriteFailure).
//
// What is deliberately not here: any knowledge of how a backend works. A
// backend is an abi.Kernel; replay compares Results and canonical Views only.
package traces
