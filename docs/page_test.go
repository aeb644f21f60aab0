package docs

import (
	"os"
	"strings"
	"testing"
)

const goodPage = `# topic

Intro.

## FORK-1a: a title

Prose.

Source: fork(2): "a sentence"
that goes on.

` + "```trace" + `
# option: max-tasks=3
# linux: skip no reason to run it there
1 fork -> 2
# expect: state 2 running
2 getpid -> 2
` + "```" + `

## FORK-1b: another

Source: kernel/fork.c copy_process.

` + "```trace" + `
1 getpid -> 1
` + "```" + `
`

func TestParsePageReadsSpecs(t *testing.T) {
	specs, err := ParsePage("p.md", []byte(goodPage))
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) != 2 {
		t.Fatalf("got %d specs, want 2", len(specs))
	}
	s := specs[0]
	if s.ID != "FORK-1a" || s.Clause != "FORK-1" || s.Title != "a title" || s.Line != 5 || s.Topic() != "p" {
		t.Errorf("spec 0 = %+v", s)
	}
	if s.Source != `fork(2): "a sentence" that goes on.` {
		t.Errorf("source = %q", s.Source)
	}
	if s.Block.Line != 13 || s.Block.LinuxSkip != "no reason to run it there" {
		t.Errorf("block line %d, linux skip %q", s.Block.Line, s.Block.LinuxSkip)
	}
	if got := s.Block.Trace.Options.MaxTasks; got != 3 {
		t.Errorf("max-tasks %d, want 3", got)
	}
	steps := s.Block.Trace.Steps
	if len(steps) != 2 || steps[0].Line != 15 || steps[1].Line != 17 {
		t.Fatalf("steps %+v: want page lines 15 and 17", steps)
	}
	if len(s.Block.Asserts) != 1 || s.Block.Asserts[0].Line != 16 {
		t.Errorf("asserts %+v: want one at line 16", s.Block.Asserts)
	}
	if specs[1].ID != "FORK-1b" || specs[1].Block.Trace.Steps[0].Line != 25 {
		t.Errorf("spec 1 = %+v", specs[1])
	}
}

func TestParsePageReportsEveryProblemWithItsLine(t *testing.T) {
	for _, tc := range []struct {
		name, page, want string
	}{
		{"no source", "## FORK-1a: x\n\n```trace\n1 fork -> 2\n```\n", "p.md:1: spec FORK-1a has no \"Source:\""},
		{"no block", "## FORK-1a: x\n\nSource: y\n", "p.md:1: spec FORK-1a has no ```trace block"},
		{"two blocks", "## FORK-1a: x\n\nSource: y\n\n```trace\n1 fork\n```\n\n```trace\n1 fork\n```\n", "p.md:9: spec FORK-1a has a second"},
		{"bad heading", "## FORK-1: no letter\n", "p.md:1: spec heading must read"},
		{"block outside", "# t\n\n```trace\n1 fork\n```\n", "p.md:3: ```trace block outside a spec section"},
		{"unclosed", "## FORK-1a: x\n\nSource: y\n\n```trace\n1 fork\n", "p.md:5: code block is never closed"},
		{"bad step", "## FORK-1a: x\n\nSource: y\n\n```trace\n1 fork -> 2\n1 frobnicate\n```\n", "p.md:7:"},
		{"bad expect", "## FORK-1a: x\n\nSource: y\n\n```trace\n1 fork\n# expect: state 2 asleep\n```\n", "p.md:7:11: bad assertion: unknown state \"asleep\""},
		{"bad linux", "## FORK-1a: x\n\nSource: y\n\n```trace\n# linux: maybe\n1 fork\n```\n", "p.md:6: want \"# linux: skip REASON\""},
		{"no steps", "## FORK-1a: x\n\nSource: y\n\n```trace\n# expect: frames 3\n```\n", "p.md:6: trace block has no steps"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePage("p.md", []byte(tc.page))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestParsePageIgnoresOtherCodeBlocksAndHeadings(t *testing.T) {
	page := "# t\n\n## Running\n\n```\n## FORK-9z: not a spec inside a code block\n```\n\n### FORK-1: a sub-heading is prose\n"
	specs, err := ParsePage("p.md", []byte(page))
	if err != nil || len(specs) != 0 {
		t.Errorf("got %d specs, err %v; want none", len(specs), err)
	}
}

// FuzzParsePage: any text gives specs or errors, never a panic, and every
// spec it returns keeps the invariants of Spec and Block.
func FuzzParsePage(f *testing.F) {
	f.Add(goodPage)
	f.Add("## FORK-1a: x\n\nSource: y\n\n```trace\n# expect: frame 1:0x1000 ==\n1 fork -> 2 frozen\n```\n")
	f.Add("```trace\n```\n## A-1a: \n```")
	for _, p := range Pages {
		if src, err := os.ReadFile(p); err == nil {
			f.Add(string(src))
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		specs, _ := ParsePage("f.md", []byte(src))
		for _, s := range specs {
			if s.ID != s.Clause+s.ID[len(s.Clause):] || len(s.ID) != len(s.Clause)+1 {
				t.Errorf("spec %q of clause %q", s.ID, s.Clause)
			}
			if s.Block.Trace != nil {
				for _, st := range s.Block.Trace.Steps {
					if st.Call == nil || st.Line < s.Block.Line {
						t.Errorf("step %+v before its block (line %d)", st, s.Block.Line)
					}
				}
			}
		}
	})
}
