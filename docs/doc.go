// Package docs holds forkspec's semantics as executable specifications: one
// Markdown page per topic (fork.md, vfork.md, …), each spec a heading with
// its ID and title, the rule in prose with the man-page sentence or kernel
// function it pins, and a ```trace block with expected results.
//
// `go test ./docs` runs every block on every available backend (the model,
// the impl, and the Linux oracle where it exists and is usable) and reports
// the page:line of a failing step or assertion with what was expected and
// what happened. `go test ./docs -update` rewrites the expected results of
// the steps from the model and regenerates the index in README.md;
// `-update-index` regenerates only the index.
//
// Where to start reading: README.md (the index and the block syntax),
// page.go (how a page is read into Specs), assert.go (the `# expect:` lines
// that check the View), run.go (running a spec on a backend) and index.go
// (the README table).
//
// What is deliberately not here: any knowledge of a backend's insides. A
// spec sees what abi.Kernel shows: step Results and the canonical View, plus
// CheckInvariants where a backend offers it and FrameID (FrameNamer) for the
// one assertion that needs frame identity across steps.
package docs
