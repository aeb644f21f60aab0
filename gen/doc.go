// Package gen generates steps for forkspec worlds: a weighted, view-driven
// generator of (tid, Syscall) pairs, and a classifier that names the
// interesting events a step caused.
//
// The same generator serves the rapid property suites in props (through a
// Source backed by rapid's draws, which shrink) and `forkspec check` (through
// FromRand, a seeded math/rand/v2 stream). gen imports only abi and the
// standard library.
//
// Where to start reading: source.go (Source, the only randomness), gen.go
// (Generator.Next and the syscall table), macro.go (scripted patterns that
// make rare sequences common), events.go (Classifier and the Event names).
// macros_threads.go, flags_onebit.go and classify_threads.go hold issue 16's
// large thread groups, page-table edges and one-bit-invalid clone words.
//
// What is deliberately not here: any knowledge of how a backend works. The
// generator reads only the canonical View the caller hands it (normally the
// model's), so every choice is a function of observable state and the draws.
// Events are derived from the step, its Result and the Views before and
// after, so they mean the same on every backend.
package gen
