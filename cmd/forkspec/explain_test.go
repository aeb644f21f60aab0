package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/model"
	"github.com/forkspec/forkspec/traces"
)

// viewLiar is the model with one lie in its View: from its fourth step on,
// the word at 0x100000200000 in the last address space is off by one. Its
// Results are the model's, so only the Views diverge.
type viewLiar struct {
	*model.Kernel
	steps int
}

func (l *viewLiar) Step(tid int, sc abi.Syscall) abi.Result {
	l.steps++
	return l.Kernel.Step(tid, sc)
}

func (l *viewLiar) View() abi.View {
	v := l.Kernel.View()
	if l.steps >= 4 && len(v.Mms) > 0 {
		m := &v.Mms[len(v.Mms)-1]
		m.Pages = append([]abi.PageView(nil), m.Pages...)
		for i := range m.Pages {
			if m.Pages[i].Addr == 0x100000200000 {
				m.Pages[i].Value++
			}
		}
	}
	return v
}

func init() {
	backends["viewliar"] = traces.Backend{Name: "viewliar", New: func(c abi.Config) abi.Kernel { return &viewLiar{Kernel: model.New(c)} }}
}

// TestExplainBadArgs: every bad explain flag value or input is an error
// with a message, exit status 2, and nothing on stdout.
func TestExplainBadArgs(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.trace")
	if err := os.WriteFile(empty, []byte("# nothing but a comment\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args   []string
		stderr string
	}{
		{[]string{"-step", "-5", "testdata/explain.trace"}, "-step -5: want 0 (the initial state) to 7"},
		{[]string{"-step", "-1", "testdata/explain.trace"}, "-step -1: want 0"},
		{[]string{"-step", "8", "testdata/explain.trace"}, "the trace has 7 steps"},
		{[]string{"-step", "x", "testdata/explain.trace"}, `invalid value "x" for flag -step`},
		{[]string{"-format", "html", "-step", "-2", "testdata/explain.trace"}, "-step -2: want 0"},
		{[]string{"-format", "svg", "testdata/explain.trace"}, `unknown format "svg" (want text, dot or html)`},
		{[]string{"-format", "", "testdata/explain.trace"}, `unknown format ""`},
		{[]string{"-backend", "qemu", "testdata/explain.trace"}, `unknown backend "qemu"`},
		{[]string{"-backend", "", "testdata/explain.trace"}, `unknown backend ""`},
		{[]string{"-backend", "model,model", "-format", "html", "testdata/explain.trace"}, "backend \"model\" named twice"},
		{[]string{"-backend", "both", "testdata/explain.trace"}, "-format text must name one backend"},
		{[]string{"-backend", "model,impl", "-format", "dot", "testdata/explain.trace"}, "-format dot must name one backend"},
		{[]string{empty}, empty + ": no steps"},
		{[]string{"testdata/explain.trace", "testdata/wrong.trace"}, "want exactly one trace file"},
		{[]string{"testdata/missing.trace"}, "no such file"},
	}
	for _, tt := range tests {
		st, out, errs := forkspec(append([]string{"explain"}, tt.args...)...)
		if st != exitBadArgs || !strings.Contains(errs, tt.stderr) || out != "" {
			t.Errorf("explain %q: status %d, want 2, with %q on stderr and nothing on stdout\nstdout:\n%.300s\nstderr:\n%s", tt.args, st, tt.stderr, out, errs)
		}
	}
}

// TestExplainStdin: "-" reads the trace from standard input, named stdin.
func TestExplainStdin(t *testing.T) {
	defer func(r io.Reader) { stdin = r }(stdin)
	src, err := os.ReadFile("testdata/explain.trace")
	if err != nil {
		t.Fatal(err)
	}
	stdin = bytes.NewReader(src)
	st, out, errs := forkspec("explain", "-step", "1", "-")
	if st != 0 || !strings.Contains(out, "== step 1 (line 3): 1 fork -> 2") {
		t.Errorf("explain - : status %d\n%s%s", st, out, errs)
	}
	stdin = strings.NewReader("1 fork\n1 stor 0x1 2\n")
	if st, _, errs := forkspec("explain", "-"); st != exitBadArgs || !strings.Contains(errs, "stdin:2:3: unknown syscall") {
		t.Errorf("explain - with a bad trace: status %d, stderr %q", st, errs)
	}
}

// TestExplainHelp: -h documents the formats, html included.
func TestExplainHelp(t *testing.T) {
	st, _, errs := forkspec("explain", "-h")
	for _, want := range []string{"-format html", "dot -Tsvg -O", "side by side", "stable", "FILE may be -"} {
		if st != 0 || !strings.Contains(errs, want) {
			t.Errorf("explain -h (status %d) lacks %q:\n%s", st, want, errs)
		}
	}
}

// TestExplainHTMLExitStatus: a page is written for a failing run too, with
// exit status 1 and the failure on stderr.
func TestExplainHTMLExitStatus(t *testing.T) {
	st, out, errs := forkspec("explain", "-format", "html", "-backend", "model,lying", "testdata/diverge.trace")
	if st != exitFailed || !strings.Contains(errs, "results differ") || !strings.Contains(out, `id="step-3"`) {
		t.Errorf("a diverging html explain: status %d (want 1), stderr %q, page %d bytes", st, errs, len(out))
	}
	if strings.Contains(out, `id="step-4"`) {
		t.Error("the page goes on past the divergence")
	}
	st, out, _ = forkspec("explain", "-format", "html", "-backend", "both", "testdata/explain.trace")
	if st != 0 || strings.Count(out, `<article class="world"`) != 2*8 {
		t.Errorf("model and impl side by side: status %d, %d worlds, want 16", st, strings.Count(out, `<article class="world"`))
	}
}

// outline is the page's markup with the inlined stylesheet, script and
// their CSP hashes replaced by placeholders: the structure the golden files
// hold, so a change of style or script alone does not touch them. The
// divergence report is left out too: its view diff is go-cmp's, whose
// format is deliberately unstable.
func outline(page string) string {
	page = regexp.MustCompile(`(?s)<pre>.*?</pre>`).ReplaceAllString(page, "<pre>(the divergence report)</pre>")
	page = regexp.MustCompile(`(?s)<style>.*?</style>`).ReplaceAllString(page, "<style>/* assets/viewer.css */</style>")
	page = regexp.MustCompile(`(?s)<script>.*?</script>`).ReplaceAllString(page, "<script>/* assets/viewer.js */</script>")
	page = regexp.MustCompile(`sha256-(?:[A-Za-z0-9/=]|&#43;|\+)+`).ReplaceAllString(page, "sha256-…")
	// One block element per line, so that a diff of the golden files reads.
	return regexp.MustCompile(`([^\n])(<(?:li|div|section|article|ul|p|h[1-5]|details|pre|nav|main|header|footer)[ >])`).ReplaceAllString(page, "$1\n$2")
}

// htmlPage renders the trace at path, named name, on the named backends.
func htmlPage(t *testing.T, path, name string, start int, backendNames ...string) (string, error) {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := traces.Parse(name, src)
	if err != nil {
		t.Fatal(err)
	}
	var bs []traces.Backend
	for _, n := range backendNames {
		bs = append(bs, backends[n])
	}
	var b bytes.Buffer
	runErr := writeHTML(&b, tr, bs, start)
	return b.String(), runErr
}

// checkGolden compares got with the golden file; -update rewrites it.
func checkGolden(t *testing.T, golden, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if got != string(want) {
		t.Errorf("the output differs from %s (go test -update rewrites it; review the diff)", golden)
	}
}

// TestExplainHTMLGolden: the markup of two pages, one backend and two side
// by side with a divergence in their Views, matches the golden files, and
// its structure is sound (checkStructure).
func TestExplainHTMLGolden(t *testing.T) {
	for _, tt := range []struct {
		path, golden string
		backends     []string
	}{
		{"testdata/explain.trace", "testdata/explain.html.golden", []string{"model"}},
		{"testdata/diverge.trace", "testdata/diverge.html.golden", []string{"model", "viewliar"}},
	} {
		page, runErr := htmlPage(t, tt.path, tt.path, -1, tt.backends...)
		var d *traces.Divergence
		if len(tt.backends) > 1 && !errors.As(runErr, &d) {
			t.Errorf("%s on %v: want a divergence, got %v", tt.path, tt.backends, runErr)
		}
		if len(tt.backends) == 1 && runErr != nil {
			t.Errorf("%s: %v", tt.path, runErr)
		}
		checkStructure(t, tt.path, page)
		checkGolden(t, tt.golden, outline(page))
	}
}

// checkStructure checks what a reader and a browser rely on: the markup
// parses as XML (every element closed), ids are unique, every reference to
// an id has a target, every step section is labelled by its heading, and
// nothing is loaded from anywhere.
func checkStructure(t *testing.T, name, page string) {
	t.Helper()
	ids := map[string]bool{}
	var refs []string
	sections, headings := 0, 0
	dec := xml.NewDecoder(strings.NewReader(outline(page)))
	dec.Strict = true
	dec.Entity = map[string]string{}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: the markup does not parse: %v", name, err)
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		attrs := map[string]string{}
		for _, a := range el.Attr {
			attrs[a.Name.Local] = a.Value
		}
		if id, ok := attrs["id"]; ok {
			if ids[id] {
				t.Errorf("%s: id %q is used twice", name, id)
			}
			ids[id] = true
		}
		for _, a := range []string{"aria-labelledby", "for"} {
			if v, ok := attrs[a]; ok {
				refs = append(refs, v)
			}
		}
		if h, ok := attrs["href"]; ok {
			refs = append(refs, strings.TrimPrefix(h, "#"))
			if !strings.HasPrefix(h, "#") {
				t.Errorf("%s: a link leaves the page: %q", name, h)
			}
		}
		for _, a := range []string{"src", "srcset", "action", "data", "poster"} {
			if _, ok := attrs[a]; ok {
				t.Errorf("%s: <%s %s=…> would load something", name, el.Name.Local, a)
			}
		}
		switch el.Name.Local {
		case "section":
			if strings.Contains(attrs["class"], "step") {
				sections++
				if attrs["aria-labelledby"] != attrs["id"]+"-h" {
					t.Errorf("%s: section %s is labelled by %q", name, attrs["id"], attrs["aria-labelledby"])
				}
			}
		case "h2":
			headings++
		case "link", "iframe", "img", "object", "embed":
			t.Errorf("%s: a <%s> element", name, el.Name.Local)
		}
	}
	for _, r := range refs {
		if !ids[r] {
			t.Errorf("%s: a reference to id %q, which no element has", name, r)
		}
	}
	if sections == 0 || headings != sections {
		t.Errorf("%s: %d step sections and %d step headings", name, sections, headings)
	}
	for _, bad := range []string{"url(", "@import", "http:", "https:", "//"} {
		if strings.Contains(viewerCSS, bad) {
			t.Errorf("the stylesheet contains %q", bad)
		}
	}
	for _, bad := range []string{"fetch(", "XMLHttpRequest", "import(", "http:", "https:", "src"} {
		if strings.Contains(viewerJS, bad) {
			t.Errorf("the script contains %q", bad)
		}
	}
}

// examplePage is the rendered example the README links.
const examplePage = "../../docs/examples/fork-cow.html"

// TestExamplePageCurrent: docs/examples/fork-cow.html is what explain
// writes for traces/fork-cow.trace now; -update rewrites it.
func TestExamplePageCurrent(t *testing.T) {
	page, err := htmlPage(t, "../../traces/fork-cow.trace", "traces/fork-cow.trace", -1, "model")
	if err != nil {
		t.Fatal(err)
	}
	if !*update {
		// The command line the docs give writes the same page.
		_, out, _ := forkspec("explain", "-format", "html", "../../traces/fork-cow.trace")
		if strings.ReplaceAll(out, "../../traces/", "traces/") != page {
			t.Error("explain -format html writes another page than the test renders")
		}
	}
	checkGolden(t, examplePage, page)
}
