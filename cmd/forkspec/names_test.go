package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/model"
	"github.com/forkspec/forkspec/traces"
)

// names runs the trace src on backend and returns, for every shot, the
// stable names of each task's objects ("mm3 fds2 sighand2 fs2", "" for a
// zombie) and of the frame behind each task's pages ("0x100000200000:4").
func namesOf(t *testing.T, src, backend string) []map[int]string {
	t.Helper()
	tr, err := traces.Parse("names.trace", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var out []map[int]string
	err = record(tr, []traces.Backend{backends[backend]}, func(sh *shot) {
		p := newNamedPicture(sh.views[0], sh.names[0])
		m := map[int]string{}
		for _, task := range p.v.Tasks {
			if task.Mm == 0 {
				m[task.Tid] = ""
				continue
			}
			s := fmt.Sprintf("mm%d fds%d sighand%d fs%d", p.name(kindMm, task.Mm), p.name(kindFds, task.FdTable),
				p.name(kindSighand, task.Sighand), p.name(kindFs, task.Fs))
			for _, mm := range p.v.Mms {
				if mm.ID != task.Mm {
					continue
				}
				for _, pg := range mm.Pages {
					s += fmt.Sprintf(" %#x:%d", pg.Addr, p.name(kindFrame, pg.Frame))
				}
			}
			m[task.Tid] = s
		}
		out = append(out, m)
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestStableNames: objects keep their names while they live, whatever the
// canonical renumbering, and new objects get new names.
func TestStableNames(t *testing.T) {
	const (
		img0 = " 0x100000000000:1 0x100000200000:2 0x100000201000:3" // init's pages at start
	)
	tests := []struct {
		name string
		src  string
		// want[i] holds the names expected after step i, by tid.
		want map[int]map[int]string
	}{
		{"an exit does not rename the others", `
1 fork                      -> 2
1 fork                      -> 3
3 store 0x100000200000 7    -> 0
2 exit_group 0              -> exited
1 wait4 2 0                 -> 2 status=exit(0)
`, map[int]map[int]string{
			3: {3: "mm3 fds3 sighand3 fs3 0x100000000000:1 0x100000200000:4 0x100000201000:3"},
			// Canonically task 3's objects are now the second ones: still 3.
			5: {1: "mm1 fds1 sighand1 fs1" + img0, 3: "mm3 fds3 sighand3 fs3 0x100000000000:1 0x100000200000:4 0x100000201000:3"},
		}},
		{"the parent copies and the child keeps the original", `
1 fork                      -> 2
1 store 0x100000200000 7    -> 0
`, map[int]map[int]string{
			// Canonically the parent's new frame would be 2 and the child's 4.
			2: {1: "mm1 fds1 sighand1 fs1 0x100000000000:1 0x100000200000:4 0x100000201000:3",
				2: "mm2 fds2 sighand2 fs2" + img0},
		}},
		{"exec gives a new mm and keeps unshared tables", `
1 fork                      -> 2
2 execve sh                 -> execed
`, map[int]map[int]string{
			2: {2: "mm3 fds2 sighand2 fs2 0x100000000000:4 0x100000200000:5"},
		}},
		{"a vfork child's exec leaves the parent the shared mm", `
1 vfork                     -> 2 frozen
2 store 0x100000200000 7    -> 0
2 execve sh                 -> execed
`, map[int]map[int]string{
			// The child stores into its parent's frame: no copy, no new name.
			2: {1: "mm1 fds1 sighand1 fs1" + img0, 2: "mm1 fds2 sighand2 fs2" + img0},
			3: {1: "mm1 fds1 sighand1 fs1" + img0, 2: "mm2 fds2 sighand2 fs2 0x100000000000:4 0x100000200000:5"},
		}},
		{"exec unshares a shared fd table: the others keep its name", `
1 clone CLONE_FILES|SIGCHLD -> 2
2 execve sh                 -> execed
`, map[int]map[int]string{
			1: {1: "mm1 fds1 sighand1 fs1" + img0, 2: "mm2 fds1 sighand2 fs2" + img0},
			2: {1: "mm1 fds1 sighand1 fs1" + img0, 2: "mm3 fds2 sighand2 fs2 0x100000000000:4 0x100000200000:5"},
		}},
		{"a thread's exec: it takes the leader's tid with its own tables", `
1 fork                                      -> 2
2 clone CLONE_VM|CLONE_SIGHAND|CLONE_THREAD -> 3
3 execve sh                                 -> execed
`, map[int]map[int]string{
			2: {3: "mm2 fds3 sighand2 fs3" + img0},
			3: {2: "mm3 fds3 sighand2 fs3 0x100000000000:4 0x100000200000:5"},
		}},
	}
	for _, tt := range tests {
		for _, b := range []string{"model", "impl"} {
			got := namesOf(t, tt.src, b)
			for step, want := range tt.want {
				for tid, w := range want {
					if g := got[step][tid]; g != w {
						t.Errorf("%s on %s, after step %d, task %d:\n got  %s\n want %s", tt.name, b, step, tid, g, w)
					}
				}
			}
		}
	}
}

// TestStableFileNames: an open file keeps its name while an fd refers to
// it, across fork, close and exec's close-on-exec.
func TestStableFileNames(t *testing.T) {
	src := `
1 open a 0                  -> 0
1 open b O_CLOEXEC          -> 1
1 open c 0                  -> 2
1 fork                      -> 2
1 close 0                   -> 0
2 execve sh                 -> execed
`
	tr, err := traces.Parse("files.trace", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var last string
	if err := record(tr, []traces.Backend{backends["model"]}, func(sh *shot) {
		var b strings.Builder
		newNamedPicture(sh.views[0], sh.names[0]).writeFiles(&b)
		last = b.String()
	}); err != nil {
		t.Fatal(err)
	}
	// file1 ("a") is task 2's fd 0; file2 ("b") closed at exec; file3
	// ("c") shared by both. Canonically "c" would now be the second file.
	want := "  fds1: 1→file2 cloexec, 2→file3\n  fds2: 0→file1, 2→file3\n" +
		"  file1: \"a\" offset 0\n  file2: \"b\" offset 0\n  file3: \"c\" offset 0\n"
	if last != want {
		t.Errorf("after the exec:\n%s\nwant:\n%s", last, want)
	}
}

// TestExplainBackendsAgree: model and impl draw every corpus trace alike,
// names included, though their frame numbers differ (impl reuses freed
// frames' numbers, the model never reuses a token).
func TestExplainBackendsAgree(t *testing.T) {
	files, err := filepath.Glob("../../traces/*.trace")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	for _, f := range files {
		_, m, _ := forkspec("explain", "-backend", "model", f)
		_, i, _ := forkspec("explain", "-backend", "impl", f)
		if strings.Replace(m, "(model)", "", 1) != strings.Replace(i, "(impl)", "", 1) || m == "" {
			t.Errorf("%s: model and impl draw different pictures", f)
		}
	}
}

// noFrames is the model without its abi.FrameNamer.
type noFrames struct{ k *model.Kernel }

func (n noFrames) Step(tid int, sc abi.Syscall) abi.Result { return n.k.Step(tid, sc) }
func (n noFrames) View() abi.View                          { return n.k.View() }

// badFrames is the model with a FrameID that names every page's frame 1.
type badFrames struct{ *model.Kernel }

func (badFrames) FrameID(tid int, addr uint64) (uint64, bool) { return 1, true }

func init() {
	backends["noframes"] = traces.Backend{Name: "noframes", New: func(c abi.Config) abi.Kernel { return noFrames{model.New(c)} }}
	backends["badframes"] = traces.Backend{Name: "badframes", New: func(c abi.Config) abi.Kernel { return badFrames{model.New(c)} }}
}

// TestFramesPerStep: a backend that cannot name its frames, or names them
// against its own View, is drawn with the View's numbers and a caption
// that says they hold for one step only.
func TestFramesPerStep(t *testing.T) {
	for _, tt := range []struct{ backend, why string }{
		{"noframes", "this backend cannot name frames across steps (no abi.FrameNamer)"},
		{"badframes", "FrameID(1, 0x100000200000) = 1 also names another frame"},
	} {
		st, out, errs := forkspec("explain", "-backend", tt.backend, "-step", "2", "testdata/explain.trace")
		if st != 0 {
			t.Fatalf("%s: status %d: %s", tt.backend, st, errs)
		}
		if !strings.Contains(out, "(frame numbers hold for this step only: "+tt.why+")") {
			t.Errorf("%s: the picture does not say why its frame numbers are per step:\n%s", tt.backend, out)
		}
		if !strings.Contains(out, "0x100000200000 = 0x99   frame 4 refs 1\n") {
			t.Errorf("%s: the picture does not show the View's own frame numbers (and no 'new'):\n%s", tt.backend, out)
		}
	}
}
