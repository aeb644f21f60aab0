package main

import (
	"bytes"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/model"
	"github.com/forkspec/forkspec/traces"
)

// The HTML viewer in a real browser: headless Chromium driven through
// chromedriver (webdriver_test.go). Every page is opened from disk
// (file://), as a reader would open a saved page, and the assertions read
// what the DOM shows at the step on screen.

var keepScreenshots = flag.Bool("keep-screenshots", false,
	"write the browser tests' screenshots and print-outs to testdata/screenshots (gitignored) instead of a temporary directory")

// requireBrowserEnv makes a missing browser a failure instead of a skip
// (.ci/run sets it after installing chromium).
const requireBrowserEnv = "FORKSPEC_REQUIRE_BROWSER"

// startBrowser starts the one browser session the tests share, or skips
// the test with the reason.
func startBrowser(t *testing.T) *webDriver {
	driver, chromium, why := findBrowser()
	if why != "" {
		if os.Getenv(requireBrowserEnv) != "" {
			t.Fatalf("%s is set, but %s", requireBrowserEnv, why)
		}
		t.Skipf("no headless browser: %s (apt-get install -y chromium chromium-driver; .ci/run installs them)", why)
	}
	w, err := startWebDriver(t, driver, chromium, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.quit)
	return w
}

// artefacts is where screenshots go; the path is logged.
func artefacts(t *testing.T) string {
	dir := t.TempDir()
	if *keepScreenshots {
		dir = filepath.Join("testdata", "screenshots")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	abs, _ := filepath.Abs(dir)
	t.Logf("screenshots and print-outs in %s", abs)
	return dir
}

// writePage writes the page of the trace at path (named name) on the named
// backends into dir and returns its file:// URL and the parsed trace.
func writePage(t *testing.T, dir, path, name string, backendNames ...string) (string, *traces.Trace) {
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
	runErr := writeHTML(&b, tr, bs, -1)
	if runErr != nil && len(bs) == 1 {
		t.Fatalf("%s: %v", name, runErr)
	}
	file := filepath.Join(dir, strings.NewReplacer("/", "_", ",", "_").Replace(name)+"-"+strings.Join(backendNames, "-")+".html")
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	return (&url.URL{Scheme: "file", Path: abs}).String(), tr
}

// shownStep is the index of the step on screen, checked three ways: the
// slider, the one displayed step section, and the page's data-step.
func shownStep(t *testing.T, w *webDriver) int {
	t.Helper()
	var got struct {
		Slider, Root string
		Shown        []string
	}
	w.script(&got, `
		var shown = [];
		document.querySelectorAll("section.step").forEach(function (s) {
			if (getComputedStyle(s).display !== "none") shown.push(s.getAttribute("data-step"));
		});
		return {Slider: document.getElementById("slider").value, Root: document.documentElement.getAttribute("data-step"), Shown: shown};`)
	if len(got.Shown) != 1 || got.Shown[0] != got.Slider || got.Root != got.Slider {
		t.Fatalf("slider at %s, page at %s, but the steps displayed are %v", got.Slider, got.Root, got.Shown)
	}
	var i int
	fmt.Sscan(got.Slider, &i)
	return i
}

// goTo moves the slider to step i as a user would: focus it and press keys.
func goTo(t *testing.T, w *webDriver, i int) {
	t.Helper()
	slider := w.one("#slider")
	keys := keyHome + strings.Repeat(keyRight, i)
	w.sendKeys(slider, keys)
	if got := shownStep(t, w); got != i {
		t.Fatalf("after Home and %d × →, step %d is shown", i, got)
	}
}

// capture scrolls step i's section to the top of the window, under the
// step controls, and saves a screenshot of the window to path.
func capture(t *testing.T, w *webDriver, i int, path string) {
	t.Helper()
	w.script(nil, `document.getElementById("step-" + arguments[0]).scrollIntoView();`, i)
	w.screenshot(path)
}

// frameLabel is the frame label shown, at the step on screen, for the page
// at addr of the address space task tid uses in backend's column.
func frameLabel(t *testing.T, w *webDriver, backend string, tid int, addr uint64) string {
	t.Helper()
	step := shownStep(t, w)
	css := fmt.Sprintf(`#step-%d .world[data-backend="%s"] .mm[data-tasks~="%d"] .page[data-addr="%#x"] .frame`, step, backend, tid, addr)
	return w.text(w.one(css))
}

// TestViewerInBrowser opens viewer pages in headless Chromium, moves the
// slider and checks what each step shows. One browser session serves every
// subtest (starting Chromium is the slow part).
func TestViewerInBrowser(t *testing.T) {
	w := startBrowser(t)
	pages := t.TempDir()
	shots := artefacts(t)

	t.Run("fork-cow", func(t *testing.T) {
		w.t = t
		u, _ := writePage(t, pages, "../../traces/fork-cow.trace", "traces/fork-cow.trace", "model")
		w.open(u)
		if got := shownStep(t, w); got != 0 {
			t.Fatalf("the page opens at step %d, want 0", got)
		}
		const data, data2 = 0x100000200000, 0x100000201000
		// After the fork (step 1) both processes' page is backed by one frame.
		goTo(t, w, 1)
		capture(t, w, 1, filepath.Join(shots, "fork-cow-step1.png"))
		parent, child := frameLabel(t, w, "model", 1, data), frameLabel(t, w, "model", 2, data)
		if parent != child || parent == "" {
			t.Errorf("after the fork the parent's page shows frame %q and the child's %q, want one frame", parent, child)
		}
		// After the child's store (step 4) they are two: the parent keeps
		// its frame, the child has a new one.
		goTo(t, w, 4)
		parent4, child4 := frameLabel(t, w, "model", 1, data), frameLabel(t, w, "model", 2, data)
		if parent4 == child4 {
			t.Errorf("after the child's store both pages show frame %q, want two frames", parent4)
		}
		if parent4 != parent {
			t.Errorf("the parent's frame is %q after the child's store, was %q: it should keep it", parent4, parent)
		}
		cell := w.one(fmt.Sprintf(`#step-4 .mm[data-tasks~="2"] .page[data-addr="%#x"]`, data))
		if txt := w.text(cell); !strings.Contains(txt, "0x99") || !strings.Contains(strings.ToLower(txt), "new") {
			t.Errorf("the child's page after its store shows %q, want the value 0x99 and the mark new", txt)
		}
		capture(t, w, 4, filepath.Join(shots, "fork-cow-step4.png"))
		w.elementScreenshot(w.one("#step-4 .memory"), filepath.Join(shots, "fork-cow-step4-memory.png"))
		// The steps not on screen show nothing.
		if txt := w.text(w.one("#step-1 h2")); txt != "" {
			t.Errorf("step 1's heading is visible at step 4: %q", txt)
		}
		// Step 7: the parent stores to the second page; the parent copies
		// and the child keeps the original frame, under its old name.
		goTo(t, w, 6)
		child6 := frameLabel(t, w, "model", 2, data2)
		w.pressKeys(keyRight) // the slider still has the focus: it moves itself
		if got := shownStep(t, w); got != 7 {
			t.Fatalf("→ on the slider at step 6 shows step %d", got)
		}
		if got := frameLabel(t, w, "model", 2, data2); got != child6 {
			t.Errorf("the child's second page shows %q after the parent's store, %q before: the child keeps its frame", got, child6)
		}
		if got := frameLabel(t, w, "model", 1, data2); got == child6 {
			t.Errorf("the parent's second page still shows the shared frame %q after its store", got)
		}
		// Keys on the page, buttons, and the slider's spoken value.
		w.click(w.one("#next"))
		if got := shownStep(t, w); got != 8 {
			t.Errorf("the next button at step 7 shows step %d", got)
		}
		w.click(w.one("h1"))
		w.pressKeys(keyLeft + keyLeft)
		if got := shownStep(t, w); got != 6 {
			t.Errorf("← ← from step 8 shows step %d", got)
		}
		w.pressKeys(keyEnd)
		if got := shownStep(t, w); got != 12 {
			t.Errorf("End shows step %d, want the last, 12", got)
		}
		slider := w.one("#slider")
		if vt := w.attr(slider, "aria-valuetext"); vt != "Step 12 of 12: task 1 load 0x100000200000 → 0x77" {
			t.Errorf("the slider's aria-valuetext is %q", vt)
		}
		if pos := w.text(w.one("#position")); !strings.HasPrefix(pos, "Step 12 of 12") {
			t.Errorf("the position reads %q", pos)
		}
		if !w.attrBool(w.one("#next"), "disabled") {
			t.Errorf("the next button is enabled at the last step")
		}
		w.pressKeys(keyHome)
		if got := shownStep(t, w); got != 0 {
			t.Errorf("Home shows step %d", got)
		}
		// A link to a step opens it.
		w.open(u + "#step-4")
		if got := shownStep(t, w); got != 4 {
			t.Errorf("the address #step-4 opens step %d", got)
		}
	})

	t.Run("states", func(t *testing.T) {
		w.t = t
		u, _ := writePage(t, pages, "../../traces/vfork.trace", "traces/vfork.trace", "model")
		w.open(u)
		goTo(t, w, 1)
		frozen := w.one(`#step-1 .task[data-tid="1"] .state`)
		if got := w.text(frozen); got != "frozen (vfork parent)" {
			t.Errorf("after vfork task 1 shows %q", got)
		}
		goTo(t, w, 6) // 2 execve sh
		if got := w.text(w.one(`#step-6 .task[data-tid="1"] .state`)); got != "running" {
			t.Errorf("after the child's exec task 1 shows %q", got)
		}
		u, _ = writePage(t, pages, "../../traces/exit-wait.trace", "traces/exit-wait.trace", "model")
		w.open(u)
		goTo(t, w, 6) // 2 exit_group 0x1ff
		if got := w.text(w.one(`#step-6 .task[data-tid="2"] .state`)); got != "zombie, exit(255)" {
			t.Errorf("after exit_group task 2 shows %q", got)
		}
		capture(t, w, 6, filepath.Join(shots, "exit-wait-step6.png"))
	})

	t.Run("divergence", func(t *testing.T) {
		w.t = t
		// Results differ: the liar's third fork returns a wrong pid.
		u, tr := writePage(t, pages, "testdata/diverge.trace", "testdata/diverge.trace", "model", "lying")
		w.open(u)
		if got := shownStep(t, w); got != 3 {
			t.Fatalf("the page opens at step %d, want the divergence at 3", got)
		}
		if len(tr.Steps) <= 3 {
			t.Fatal("testdata/diverge.trace must go on after the divergence")
		}
		if n := len(w.find("section.step")); n != 4 {
			t.Errorf("%d step sections, want 4 (the run stops at the divergence)", n)
		}
		if cls := w.attr(w.one("#step-3"), "class"); !strings.Contains(cls, "diverged") {
			t.Errorf("step 3's class is %q, want diverged", cls)
		}
		if txt := w.text(w.one("#step-3 h2")); !strings.Contains(txt, "first divergence") {
			t.Errorf("step 3's heading reads %q", txt)
		}
		if txt := w.text(w.one(`#step-3 .result[data-backend="lying"]`)); !strings.Contains(txt, "1004") || !strings.Contains(txt, "✗") {
			t.Errorf("the liar's result reads %q, want its wrong pid marked ✗", txt)
		}
		if txt := w.text(w.one(`#step-3 .result[data-backend="model"]`)); strings.Contains(txt, "✗") {
			t.Errorf("the model's result reads %q, marked wrong", txt)
		}
		if txt := w.text(w.one("#step-3 .report")); !strings.Contains(txt, "results differ") {
			t.Errorf("the report reads %q", txt)
		}
		capture(t, w, 3, filepath.Join(shots, "divergence-results.png"))
		w.pressKeys(keyHome)
		w.click(w.one("#divergence"))
		if got := shownStep(t, w); got != 3 {
			t.Errorf("the divergence button shows step %d", got)
		}

		// Views differ: the other liar misreports the word the child stores.
		u, _ = writePage(t, pages, "testdata/diverge.trace", "testdata/diverge.trace", "model", "viewliar")
		w.open(u)
		if got := shownStep(t, w); got != 4 {
			t.Fatalf("the page opens at step %d, want the divergence at 4", got)
		}
		for _, b := range []string{"model", "viewliar"} {
			cell := w.one(fmt.Sprintf(`#step-4 .world[data-backend="%s"] .mm[data-tasks~="4"] .page[data-addr="0x100000200000"]`, b))
			if cls := w.attr(cell, "class"); !strings.Contains(cls, "differs") || !strings.Contains(w.text(cell), "≠ differs") {
				t.Errorf("%s's page 0x100000200000 of task 4 has class %q and text %q, want it marked as differing", b, cls, w.text(cell))
			}
			if n := len(w.find(fmt.Sprintf(`#step-4 .world[data-backend="%s"] .mm[data-tasks~="1"] .page.differs`, b))); n != 0 {
				t.Errorf("%d pages of task 1 are marked as differing in %s's column, want none", n, b)
			}
		}
		capture(t, w, 4, filepath.Join(shots, "divergence-views.png"))
	})

	t.Run("phone", func(t *testing.T) {
		w.t = t
		u, _ := writePage(t, pages, "../../traces/fork-cow.trace", "traces/fork-cow.trace", "model")
		w.resize(390, 844)
		defer w.resize(1280, 900)
		w.open(u + "#step-4")
		var fit struct{ Scroll, Client int }
		w.script(&fit, `return {Scroll: document.documentElement.scrollWidth, Client: document.documentElement.clientWidth};`)
		if fit.Scroll > fit.Client {
			t.Errorf("at phone width the page is %d px wide in a %d px window: it scrolls sideways", fit.Scroll, fit.Client)
		}
		if !w.displayed(w.one("#slider")) {
			t.Error("the slider is not shown at phone width")
		}
		capture(t, w, 4, filepath.Join(shots, "fork-cow-step4-phone.png"))
	})

	t.Run("print-and-no-script", func(t *testing.T) {
		w.t = t
		u, tr := writePage(t, pages, "../../traces/fork-cow.trace", "traces/fork-cow.trace", "model")
		w.open(u)
		w.cdp("Emulation.setEmulatedMedia", map[string]any{"media": "print"})
		func() {
			defer w.cdp("Emulation.setEmulatedMedia", map[string]any{"media": ""})
			allShown(t, w, len(tr.Steps)+1, "in print")
			if w.displayed(w.one("#controls")) {
				t.Error("the step controls are printed")
			}
		}()
		w.printPDF(filepath.Join(shots, "fork-cow.pdf"))

		w.cdp("Emulation.setScriptExecutionDisabled", map[string]any{"value": true})
		defer w.cdp("Emulation.setScriptExecutionDisabled", map[string]any{"value": false})
		w.open(u)
		allShown(t, w, len(tr.Steps)+1, "without scripts")
		if w.displayed(w.one("#controls")) {
			t.Error("the step controls show without scripts, which they need")
		}
	})

	t.Run("no-colour", func(t *testing.T) {
		w.t = t
		u, _ := writePage(t, pages, "../../traces/shared-memory.trace", "traces/shared-memory.trace", "model")
		w.cdp("Emulation.setEmulatedVisionDeficiency", map[string]any{"type": "achromatopsia"})
		defer w.cdp("Emulation.setEmulatedVisionDeficiency", map[string]any{"type": "none"})
		w.open(u)
		w.pressKeys(keyEnd)
		step := shownStep(t, w)
		cells := w.find(fmt.Sprintf("#step-%d .page", step))
		if len(cells) == 0 {
			t.Fatal("the last step of shared-memory.trace shows no page")
		}
		for _, c := range cells {
			label, frame := w.text(w.one(fmt.Sprintf(`#step-%d .page[data-addr="%s"][data-frame="%s"] .frame`, step, w.attr(c, "data-addr"), w.attr(c, "data-frame")))), w.attr(c, "data-frame")
			if label != frame {
				t.Errorf("a page of frame %s is labelled %q: without colour the label is all a reader has", frame, label)
			}
		}
		capture(t, w, step, filepath.Join(shots, "shared-memory-greyscale.png"))
	})

	t.Run("corpus", func(t *testing.T) {
		w.t = t
		files, err := filepath.Glob("../../traces/*.trace")
		if err != nil || len(files) == 0 {
			t.Fatalf("no corpus traces: %v", err)
		}
		for _, f := range files {
			name := "traces/" + filepath.Base(f)
			u, tr := writePage(t, pages, f, name, "model")
			w.open(u)
			checkAgainstModel(t, w, tr)
		}
	})
}

// attrBool reports whether a boolean attribute is present.
func (w *webDriver) attrBool(e element, name string) bool {
	w.t.Helper()
	var v *string
	w.must(w.call("GET", w.sess("/element/"+string(e)+"/attribute/"+name), nil, &v))
	return v != nil
}

// allShown checks that all n step sections are displayed at once.
func allShown(t *testing.T, w *webDriver, n int, how string) {
	t.Helper()
	secs := w.find("section.step")
	if len(secs) != n {
		t.Fatalf("%d step sections, want %d", len(secs), n)
	}
	for i, s := range secs {
		if !w.displayed(s) {
			t.Errorf("step %d is not shown %s", i, how)
		}
	}
}

// domPage is what a step section shows of one page of memory.
type domPage struct {
	Tasks, Addr, Label, Value string
}

// domStep is what a step section shows.
type domStep struct {
	Tasks  map[string]string // tid → state text
	Pages  []domPage
	Ready  string
	Net    int // resources the page fetched
	Slider string
	Shown  []string // ids of the step sections displayed
}

// checkAgainstModel steps through the open page with the → key and checks,
// at every step, that the section on screen shows the model's world after
// that step: every task with its state, every page that holds a frame,
// and frame labels that follow the model's frame tokens (abi.FrameNamer,
// never reused): over the whole trace, one token is always shown with one
// label and one label always names one token — two pages share a label
// exactly when they share a frame, a page keeps its label exactly while it
// keeps its frame, and a copy gets a label never shown before.
func checkAgainstModel(t *testing.T, w *webDriver, tr *traces.Trace) {
	t.Helper()
	k := model.New(tr.Options.Config())
	w.pressKeys(keyHome)
	labelOf := map[uint64]string{} // the label of each frame token so far
	tokenOf := map[string]uint64{}
	for i := 0; i <= len(tr.Steps); i++ {
		if i > 0 {
			s := tr.Steps[i-1]
			k.Step(s.Tid, s.Call)
			w.pressKeys(keyRight)
		}
		var dom domStep
		w.script(&dom, `
			var out = {Tasks: {}, Pages: [], Ready: document.documentElement.getAttribute("data-ready"),
				Net: performance.getEntriesByType("resource").length, Slider: document.getElementById("slider").value, Shown: []};
			document.querySelectorAll("section.step").forEach(function (s) {
				if (getComputedStyle(s).display !== "none") out.Shown.push(s.id);
			});
			var sec = document.getElementById("step-" + arguments[0]);
			sec.querySelectorAll(".task").forEach(function (t) {
				out.Tasks[t.getAttribute("data-tid")] = t.querySelector(".state").innerText;
			});
			sec.querySelectorAll(".mm").forEach(function (m) {
				m.querySelectorAll(".page").forEach(function (p) {
					out.Pages.push({Tasks: m.getAttribute("data-tasks"), Addr: p.getAttribute("data-addr"),
						Label: p.querySelector(".frame").innerText, Value: p.querySelector(".val").innerText});
				});
			});
			return out;`, i)
		if dom.Slider != fmt.Sprint(i) || len(dom.Shown) != 1 || dom.Shown[0] != fmt.Sprintf("step-%d", i) {
			t.Fatalf("%s: → should show step %d, but the slider is at %s and the sections shown are %v", tr.Name, i, dom.Slider, dom.Shown)
		}
		where := fmt.Sprintf("%s after step %d", tr.Name, i)
		if dom.Ready != "1" {
			t.Fatalf("%s: the page's script did not finish (data-ready=%q)", where, dom.Ready)
		}
		if dom.Net != 0 {
			t.Errorf("%s: the page fetched %d resources, want none", where, dom.Net)
		}
		v := k.View()
		if len(dom.Tasks) != len(v.Tasks) {
			t.Errorf("%s: the page shows %d tasks, the model has %d", where, len(dom.Tasks), len(v.Tasks))
		}
		for _, task := range v.Tasks {
			got := dom.Tasks[fmt.Sprint(task.Tid)]
			want := map[abi.TaskState]string{abi.Running: "running", abi.VforkFrozen: "frozen", abi.Zombie: "zombie"}[task.State]
			if !strings.HasPrefix(got, want) {
				t.Errorf("%s: task %d shows %q, the model says %s", where, task.Tid, got, task.State)
			}
		}
		pages := 0
		for _, m := range v.Mms {
			pages += len(m.Pages)
		}
		if len(dom.Pages) != pages {
			t.Errorf("%s: the page shows %d pages holding frames, the model has %d", where, len(dom.Pages), pages)
		}
		for _, p := range dom.Pages {
			var tid int
			var addr uint64
			fmt.Sscan(strings.Fields(p.Tasks)[0], &tid)
			fmt.Sscanf(p.Addr, "0x%x", &addr)
			token, ok := k.FrameID(tid, addr)
			if !ok {
				t.Errorf("%s: the page shows a frame at %s for tid %d, the model has none", where, p.Addr, tid)
				continue
			}
			if l, seen := labelOf[token]; seen && l != p.Label {
				t.Errorf("%s: tid %d's page %s shows %s, but its frame was shown as %s", where, tid, p.Addr, p.Label, l)
			}
			if tok, seen := tokenOf[p.Label]; seen && tok != token {
				t.Errorf("%s: label %s names two frames (tid %d's page %s)", where, p.Label, tid, p.Addr)
			}
			labelOf[token], tokenOf[p.Label] = p.Label, token
		}
	}
}
