package docs

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/forkspec/forkspec/traces"
)

var (
	update = flag.Bool("update", false,
		"rewrite the expected step results of every spec from the model, and regenerate the README index")
	updateIndex = flag.Bool("update-index", false, "regenerate the README index only")
)

// run holds the results of every spec on every backend, computed once per
// test binary and shared by TestSpecs and TestReadmeIndexIsCurrent.
var run struct {
	once     sync.Once
	specs    []Spec
	loadErr  error
	backends []traces.Backend
	linuxWhy string // why Linux is not among backends, or ""
	// outcomes[backend name][spec ID]
	outcomes map[string]map[string]Outcome
}

func results(t *testing.T) {
	t.Helper()
	run.once.Do(func() {
		run.specs, run.loadErr = LoadDir(".")
		run.backends, run.linuxWhy = specBackends()
		run.outcomes = map[string]map[string]Outcome{}
		for _, b := range run.backends {
			run.outcomes[b.Name] = RunAll(run.specs, b)
		}
	})
	if run.loadErr != nil {
		t.Fatalf("the spec pages do not parse:\n%v", run.loadErr)
	}
}

// TestSpecs runs every spec on every backend. Subtests are named
// TOPIC/SPEC-ID/BACKEND, so `-run 'TestSpecs/vfork'` runs one page.
func TestSpecs(t *testing.T) {
	results(t)
	if run.linuxWhy != "" {
		t.Logf("Linux oracle skipped: %s", run.linuxWhy)
	}
	for _, s := range run.specs {
		t.Run(s.Topic()+"/"+s.ID, func(t *testing.T) {
			for _, b := range run.backends {
				t.Run(b.Name, func(t *testing.T) {
					o := run.outcomes[b.Name][s.ID]
					switch o.Status {
					case Skipped:
						t.Skipf("%s:%d: %s: %s", s.Page, s.Line, s.ID, o.Msg)
					case Fail:
						t.Errorf("%s:%d: %s on %s: %s\n(spec %q, trace block at %s:%d; the steps as run:\n  %s)",
							s.Page, o.Line, s.ID, b.Name, o.Msg, s.Title, s.Page, s.Block.Line,
							strings.Join(o.History, "\n  "))
					case PassUnchecked:
						t.Logf("%s: not checkable on %s: %s", s.ID, b.Name, strings.Join(o.Unchecked, "; "))
					}
				})
			}
		})
	}
	if *update {
		rewriteFromModel(t)
	}
}

// rewriteFromModel is -update: every expected step result becomes what the
// model returned.
func rewriteFromModel(t *testing.T) {
	model := backendNamed("model")
	if model == nil {
		t.Fatal("-update needs the model backend")
	}
	got := map[string]map[int]string{} // page → line → result
	for _, s := range run.specs {
		o := Run(s, *model, true)
		if got[s.Page] == nil {
			got[s.Page] = map[int]string{}
		}
		for line, text := range o.Got {
			got[s.Page][line] = text
		}
	}
	for _, page := range Pages {
		src, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		out := RewriteResults(src, got[page])
		if string(out) == string(src) {
			continue
		}
		if err := os.WriteFile(page, out, 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(os.Stderr, "docs: -update rewrote expected results in %s from the model.\n"+
			"      The model is the reference, not the truth: review `git diff docs/%s` against\n"+
			"      the man page and kernel source, and commit only the changes you understand.\n", page, page)
	}
}

func backendNamed(name string) *traces.Backend {
	for i := range run.backends {
		if run.backends[i].Name == name {
			return &run.backends[i]
		}
	}
	return nil
}

// TestReadmeIndexIsCurrent fails when README.md's index differs from the
// one generated from the pages and this run's statuses.
func TestReadmeIndexIsCurrent(t *testing.T) {
	results(t)
	src, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(src)
	want, ok := SpliceIndex(readme, Index(run.specs, Columns(run.outcomes, readme)))
	if !ok {
		t.Fatalf("README.md lacks the index markers %q … %q", IndexBegin, IndexEnd)
	}
	if want == readme {
		return
	}
	if *update || *updateIndex {
		if err := os.WriteFile("README.md", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(os.Stderr, "docs: regenerated the index in README.md; review and commit it.")
		return
	}
	t.Errorf("README.md's index is stale (a spec or a status changed); regenerate it with\n"+
		"  go test ./docs -run TestReadmeIndexIsCurrent -update-index\n"+
		"and commit it. First differing line:\n%s", firstDiff(readme, want))
}

// firstDiff shows the first line where got and want differ.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n  README:    %s\n  generated: %s", i+1, gl, wl)
		}
	}
	return "(none)"
}

// TestEveryClauseHasASpec: the catalogue is covered, clause by clause.
func TestEveryClauseHasASpec(t *testing.T) {
	results(t)
	have := map[string]int{}
	for _, s := range run.specs {
		have[s.Clause]++
	}
	for _, c := range Clauses {
		if have[c] == 0 {
			t.Errorf("clause %s has no spec in %v", c, Pages)
		}
	}
}

// TestSpecIDsAreInOrder: within a clause the letters run a, b, c, … so
// that an ID says where to look and no spec is silently dropped.
func TestSpecIDsAreInOrder(t *testing.T) {
	results(t)
	next := map[string]byte{}
	for _, s := range run.specs {
		want := next[s.Clause]
		if want == 0 {
			want = 'a'
		}
		if got := s.ID[len(s.ID)-1]; got != want {
			t.Errorf("%s:%d: spec %s: want letter %c for the next spec of %s", s.Page, s.Line, s.ID, want, s.Clause)
		}
		next[s.Clause] = s.ID[len(s.ID)-1] + 1
	}
}

// TestPagesShowTheirRunCommand: every page tells the reader the one
// command that runs its traces, and every md file here is either a topic
// page or a known non-spec page.
func TestPagesShowTheirRunCommand(t *testing.T) {
	for _, p := range Pages {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		cmd := fmt.Sprintf("go test ./docs -run 'TestSpecs/%s'", strings.TrimSuffix(p, ".md"))
		if !strings.Contains(string(src), cmd) {
			t.Errorf("%s does not show its run command %q", p, cmd)
		}
	}
	mds, _ := filepath.Glob("*.md")
	others := []string{"README.md", "notes.md", "conventions.md", "performance.md", "mutation.md", "kernel-under-test.md"}
	for _, m := range mds {
		if !slices.Contains(Pages, m) && !slices.Contains(others, m) {
			t.Errorf("%s is neither a topic page (docs.Pages) nor a known page %v: its specs would never run", m, others)
		}
	}
}
