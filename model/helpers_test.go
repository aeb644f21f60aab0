package model

import (
	"strconv"
	"strings"
	"testing"

	"github.com/forkspec/forkspec/abi"
)

// Addresses of image "init" (abi.Images) and a free spot for new mappings.
const (
	roPage = abi.ArenaStart            // read-only, holds 0x11
	data0  = abi.ArenaStart + 0x200000 // read-write, holds 0x21
	data1  = abi.ArenaStart + 0x201000 // read-write, holds 0x22
	fresh  = abi.ArenaStart + 0x400000 // nothing mapped at start
)

// world drives a model in tests: steps are written in trace syntax, and the
// invariants are checked after every step.
type world struct {
	t *testing.T
	k *Kernel
}

func newWorld(t *testing.T) *world { return &world{t: t, k: New(abi.Config{})} }

func newWorldLimit(t *testing.T, limit int) *world {
	return &world{t: t, k: New(abi.Config{MaxTasks: limit})}
}

// do performs one step written as "SYSCALL ARGS" by tid.
func (w *world) do(tid int, call string) abi.Result {
	w.t.Helper()
	sc, err := abi.ParseSyscall(call)
	if err != nil {
		w.t.Fatalf("bad step %q: %v", call, err)
	}
	r := w.k.Step(tid, sc)
	if err := w.k.CheckInvariants(); err != nil {
		w.t.Fatalf("invariants after %d %s: %v", tid, call, err)
	}
	return r
}

// run performs a script, one step a line: "TID SYSCALL ARGS [-> RESULT]".
// Blank lines and # comments are skipped. A step with an expected result
// must return exactly it.
func (w *world) run(script string) {
	w.t.Helper()
	for _, line := range strings.Split(script, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		body, want, hasWant := strings.Cut(line, "->")
		tidText, call, _ := strings.Cut(strings.TrimSpace(body), " ")
		tid, err := strconv.Atoi(tidText)
		if err != nil {
			w.t.Fatalf("bad tid in %q", line)
		}
		r := w.do(tid, call)
		if !hasWant {
			continue
		}
		wr, err := abi.ParseResult(strings.TrimSpace(want))
		if err != nil {
			w.t.Fatalf("bad result in %q: %v", line, err)
		}
		if r != wr {
			w.t.Fatalf("%s: got %v, want %v", line, r, wr)
		}
	}
}

// task returns the View of tid; ok is false when it does not exist.
func (w *world) task(tid int) (abi.TaskView, bool) {
	for _, tv := range w.k.View().Tasks {
		if tv.Tid == tid {
			return tv, true
		}
	}
	return abi.TaskView{}, false
}

func (w *world) mustTask(tid int) abi.TaskView {
	w.t.Helper()
	tv, ok := w.task(tid)
	if !ok {
		w.t.Fatalf("task %d does not exist", tid)
	}
	return tv
}

func (w *world) state(tid int, want abi.TaskState) {
	w.t.Helper()
	if got := w.mustTask(tid).State; got != want {
		w.t.Fatalf("task %d is %v, want %v", tid, got, want)
	}
}

func (w *world) proc(tgid int) abi.ProcView {
	w.t.Helper()
	for _, p := range w.k.View().Procs {
		if p.Tgid == tgid {
			return p
		}
	}
	w.t.Fatalf("no process %d", tgid)
	return abi.ProcView{}
}

func (w *world) handled(tgid, sig int) int {
	for _, c := range w.proc(tgid).Handled {
		if c.Sig == sig {
			return c.Count
		}
	}
	return 0
}

// mm returns the View of tid's address space.
func (w *world) mm(tid int) abi.MmView {
	w.t.Helper()
	v := w.k.View()
	id := w.mustTask(tid).Mm
	for _, m := range v.Mms {
		if m.ID == id {
			return m
		}
	}
	w.t.Fatalf("task %d has no mm", tid)
	return abi.MmView{}
}

// frame returns the frame behind addr in tid's address space, 0 if none.
func (w *world) frame(tid int, addr uint64) int {
	w.t.Helper()
	for _, p := range w.mm(tid).Pages {
		if p.Addr == addr {
			return p.Frame
		}
	}
	return 0
}

// mapping returns the mapping of tid holding addr.
func (w *world) mapping(tid int, addr uint64) (abi.MappingView, bool) {
	for _, m := range w.mm(tid).Mappings {
		if m.Start <= addr && addr < m.End {
			return m, true
		}
	}
	return abi.MappingView{}, false
}

func (w *world) fds(tid int) []abi.FdView {
	w.t.Helper()
	id := w.mustTask(tid).FdTable
	for _, f := range w.k.View().FdTables {
		if f.ID == id {
			return f.Fds
		}
	}
	return nil
}

func (w *world) action(tid, sig int) abi.ActionView {
	w.t.Helper()
	id := w.mustTask(tid).Sighand
	for _, s := range w.k.View().Sighands {
		if s.ID == id {
			for _, a := range s.Actions {
				if a.Sig == sig {
					return a
				}
			}
		}
	}
	return abi.ActionView{Sig: sig}
}

func (w *world) umask(tid int) int64 {
	w.t.Helper()
	id := w.mustTask(tid).Fs
	for _, f := range w.k.View().Fss {
		if f.ID == id {
			return f.Umask
		}
	}
	w.t.Fatalf("task %d has no fs", tid)
	return 0
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

// token is the model's raw frame token behind a private page of tid (0 if
// none). Canonical frame numbers are renumbered in every View, so a test
// that compares frames across steps compares raw tokens.
func (w *world) token(tid int, addr uint64) uint64 {
	w.t.Helper()
	t, ok := w.k.tasks[tid]
	if !ok || t.mm == nil {
		w.t.Fatalf("task %d has no mm", tid)
	}
	return t.mm.pages[addr].token
}
