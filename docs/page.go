package docs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/forkspec/forkspec/traces"
)

// Spec is one executable spec: a `## ID: Title` heading in a topic page, the
// rule in prose with its `Source:` paragraph, and exactly one ```trace block.
type Spec struct {
	// ID names the spec: its clause ID and one lowercase letter ("FORK-6b").
	// Invariant: ID == Clause + one letter in a–z; unique across all pages.
	ID string
	// Clause is the catalogue clause the spec pins ("FORK-6").
	Clause string
	// Title is the heading text after "ID: ".
	Title string
	// Page is the file name of the topic page ("fork.md").
	Page string
	// Line is the 1-based page line of the heading.
	Line int
	// Source is the spec's `Source:` paragraph, joined into one line: the man
	// page sentence or kernel function the spec pins. Invariant: nonempty.
	Source string
	// Block is the spec's trace block.
	Block Block
}

// Topic is the page name without ".md", as used in `-run 'TestSpecs/TOPIC'`.
func (s Spec) Topic() string { return strings.TrimSuffix(s.Page, ".md") }

// Block is a spec's ```trace block, parsed.
type Block struct {
	// Line is the page line of the block's first line (the one after the
	// opening fence).
	Line int
	// Text is the block's content.
	Text string
	// Trace is the parsed block. Invariant: every Step.Line is a page line,
	// and there is at least one step.
	Trace *traces.Trace
	// Asserts are the block's `# expect:` lines in page order (the trace
	// format's assertions, traces.Assertion): Trace.Asserts, with page
	// lines.
	Asserts []traces.Assertion
	// LinuxSkip is the reason given by a `# linux: skip REASON` line, or ""
	// when the spec must also hold on the Linux oracle.
	LinuxSkip string
}

// Lines of the page syntax.
var (
	// specHeading is a spec's heading: "## FORK-6b: title".
	specHeading = regexp.MustCompile(`^## ([A-Z]+-[0-9]+)([a-z]): (\S.*)$`)
	// looksLikeSpec catches headings that try to be spec headings but do not
	// match specHeading, so that a typo is an error rather than a lost spec.
	looksLikeSpec = regexp.MustCompile(`^##+ +[A-Z]+-[0-9]`)
)

const (
	linuxPrefix  = "# linux:"
	sourcePrefix = "Source:"
)

// ParsePage reads the specs of one topic page. page names the page in
// errors and in Spec.Page. Every problem is reported, each as
// "page:line: message", joined with errors.Join.
func ParsePage(page string, src []byte) ([]Spec, error) {
	lines := strings.Split(string(src), "\n")
	var (
		specs  []Spec
		errs   []error
		cur    *Spec // the spec whose section we are in
		blocks int   // trace blocks seen in cur's section
	)
	errAt := func(line int, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s:%d: %s", page, line, fmt.Sprintf(format, args...)))
	}
	finish := func() {
		if cur == nil {
			return
		}
		if cur.Source == "" {
			errAt(cur.Line, "spec %s has no %q paragraph citing the man page or kernel function it pins", cur.ID, sourcePrefix)
		}
		if blocks == 0 {
			errAt(cur.Line, "spec %s has no ```trace block", cur.ID)
		}
		specs = append(specs, *cur)
		cur, blocks = nil, 0
	}
	for i := 0; i < len(lines); i++ {
		lineNo := i + 1
		line := strings.TrimRight(lines[i], " \t\r")
		switch {
		case strings.HasPrefix(line, "## "):
			finish()
			m := specHeading.FindStringSubmatch(line)
			if m == nil {
				if looksLikeSpec.MatchString(line) {
					errAt(lineNo, "spec heading must read \"## CLAUSE-Nx: title\" (e.g. \"## FORK-6a: ...\"), got %q", line)
				}
				continue
			}
			cur = &Spec{ID: m[1] + m[2], Clause: m[1], Title: m[3], Page: page, Line: lineNo}
		case strings.HasPrefix(line, "# ") || line == "#":
			finish() // a new top-level section ends the spec
		case strings.HasPrefix(line, sourcePrefix) && cur != nil && blocks == 0:
			para := []string{strings.TrimSpace(strings.TrimPrefix(line, sourcePrefix))}
			for i+1 < len(lines) && strings.TrimSpace(lines[i+1]) != "" && !strings.HasPrefix(lines[i+1], "```") {
				i++
				para = append(para, strings.TrimSpace(lines[i]))
			}
			cur.Source = strings.TrimSpace(strings.Join(para, " "))
		case strings.HasPrefix(line, "```"):
			fence := strings.TrimSpace(strings.TrimPrefix(line, "```"))
			start := i + 1
			end := start
			for end < len(lines) && strings.TrimRight(lines[end], " \t\r") != "```" {
				end++
			}
			if end == len(lines) {
				errAt(lineNo, "code block is never closed")
				i = end
				continue
			}
			i = end
			if fence != "trace" {
				continue // other code blocks are prose
			}
			if cur == nil {
				errAt(lineNo, "```trace block outside a spec section (put it under a \"## CLAUSE-Nx: title\" heading)")
				continue
			}
			blocks++
			if blocks > 1 {
				errAt(lineNo, "spec %s has a second ```trace block; give it its own spec ID", cur.ID)
				continue
			}
			b, err := parseBlock(page, start+1, lines[start:end])
			if err != nil {
				errs = append(errs, err)
			}
			cur.Block = b
		}
	}
	finish()
	return specs, errors.Join(errs...)
}

// parseBlock reads a trace block whose first line is page line first.
func parseBlock(page string, first int, lines []string) (Block, error) {
	b := Block{Line: first, Text: strings.Join(lines, "\n")}
	var errs []error
	for i, raw := range lines {
		lineNo := first + i
		body := strings.TrimSpace(raw)
		switch {
		case strings.HasPrefix(body, linuxPrefix):
			rest := strings.TrimSpace(strings.TrimPrefix(body, linuxPrefix))
			reason, ok := strings.CutPrefix(rest, "skip ")
			if !ok || strings.TrimSpace(reason) == "" {
				errs = append(errs, fmt.Errorf("%s:%d: want \"# linux: skip REASON\", got %q", page, lineNo, body))
				continue
			}
			b.LinuxSkip = strings.TrimSpace(reason)
		}
	}
	t, err := traces.Parse(page, []byte(b.Text))
	if err != nil {
		var se *traces.SyntaxError
		if errors.As(err, &se) {
			err = fmt.Errorf("%s:%d:%d: %s", page, se.Line+first-1, se.Col, se.Msg)
		}
		return b, errors.Join(append(errs, err)...)
	}
	for i := range t.Steps {
		t.Steps[i].Line += first - 1
	}
	for i := range t.Asserts {
		t.Asserts[i].Line += first - 1
	}
	b.Asserts = t.Asserts
	if len(t.Steps) == 0 {
		errs = append(errs, fmt.Errorf("%s:%d: trace block has no steps", page, first))
	}
	b.Trace = t
	return b, errors.Join(errs...)
}

// LoadDir reads every page of Pages from dir and checks that spec IDs are
// unique and that every spec belongs to a catalogue clause.
func LoadDir(dir string) ([]Spec, error) {
	var all []Spec
	var errs []error
	for _, p := range Pages {
		src, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		specs, err := ParsePage(p, src)
		if err != nil {
			errs = append(errs, err)
		}
		all = append(all, specs...)
	}
	known := map[string]bool{}
	for _, c := range Clauses {
		known[c] = true
	}
	seen := map[string]Spec{}
	for _, s := range all {
		if prev, dup := seen[s.ID]; dup {
			errs = append(errs, fmt.Errorf("%s:%d: spec ID %s already used at %s:%d", s.Page, s.Line, s.ID, prev.Page, prev.Line))
		}
		seen[s.ID] = s
		if !known[s.Clause] {
			errs = append(errs, fmt.Errorf("%s:%d: spec %s: clause %s is not in the catalogue (docs.Clauses)", s.Page, s.Line, s.ID, s.Clause))
		}
	}
	return all, errors.Join(errs...)
}
