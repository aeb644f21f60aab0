package props

import (
	"fmt"
	"slices"

	"github.com/forkspec/forkspec/abi"
)

// The properties of this file and checks_reap.go, checks_wait.go and
// checks_fd.go need no reference backend: each reads a backend's own
// Results and canonical Views, before and after one step, so the suites
// run them on the model and on the impl alone (a mistake the two share is
// caught as well as one the impl makes by itself). Each is named after the
// clause of shared/semantics.md it checks, and its messages cite it.
const (
	// CheckDontForkWipeOnFork: a fork child's address space is the
	// caller's without its MADV_DONTFORK ranges; its MADV_WIPEONFORK ranges
	// are there, still marked, and read zero; every other page holds the
	// caller's value in the caller's frame (FORK-2, FORK-6, COW-1).
	CheckDontForkWipeOnFork Check = CheckCloneValidation << (iota + 1)
	// CheckSignalInheritance: a new process starts with nothing pending,
	// nothing handled, no subreaper mark, the caller's mask and a copy of
	// its dispositions; creating a task generates no signal; exec keeps the
	// pending signals it blocks and adds none (FORK-3, FORK-5, CLONE-4,
	// EXEC-3).
	CheckSignalInheritance
	// CheckReparentTarget: a process keeps its parent while the parent's
	// group has a live thread; once it has none, the process goes to the
	// nearest living subreaper ancestor, else init, with SIGCHLD as its
	// termination signal (REAP-1, REAP-2); every thread reports its group's
	// parent (THR-1).
	CheckReparentTarget
	// CheckAutoReap: a process that ends (or is orphaned as a zombie) is
	// reaped at once exactly when its notification is SIGCHLD and its
	// parent ignores SIGCHLD or set SA_NOCLDWAIT; otherwise it stays a
	// zombie (WAIT-5, REAP-2, CLONE-6).
	CheckAutoReap
	// CheckWaitEligibility: wait4 sees exactly the children its pid and
	// options select, never threads; it reaps a waitable zombie with its
	// status and changes nothing else; no match is ECHILD, matches none
	// waitable is 0 under WNOHANG (WAIT-1 … WAIT-4).
	CheckWaitEligibility
	// CheckSharedOffsets: open file descriptions are never split or merged
	// by a step; fork's child and dup's new fd refer to the caller's
	// descriptions; write and lseek move the offset of exactly the one
	// description the fd names, for every fd that refers to it (FORK-4,
	// FD-2, FD-3, FD-4).
	CheckSharedOffsets
)

// created returns the task a successful fork, vfork, clone or clone3 in c
// created and its flags; ok is false for any other step or outcome.
func created(c *stepCtx) (child abi.TaskView, a cloneArgs, ok bool) {
	a, ok = asClone(c.sc)
	if !ok || c.res.Err != 0 || (c.res.Outcome != abi.OutcomeOK && c.res.Outcome != abi.OutcomeFrozen) {
		return abi.TaskView{}, a, false
	}
	child, ok = task(c.after, int(c.res.Ret))
	if _, existed := task(c.before, int(c.res.Ret)); existed {
		return abi.TaskView{}, a, false
	}
	return child, a, ok
}

// checkDontForkWipeOnFork is FORK-6 (with FORK-2 and COW-1 for the rest of
// the address space): compared with the caller's address space, a fork
// child without CLONE_VM has every mapping but the DONTFORK ones, with the
// same attributes (WIPEONFORK kept, so a grandchild sees zeros too); no page
// of a WIPEONFORK range holds a frame; every other private page holds the
// caller's value in the caller's very frame. The caller's own address space
// is left as it was.
func checkDontForkWipeOnFork(c *stepCtx) error {
	child, a, ok := created(c)
	if !ok || a.flags&abi.CLONE_VM != 0 {
		return nil
	}
	caller, _ := task(c.before, c.tid)
	callerAfter, _ := task(c.after, c.tid)
	was, _ := mmOf(c.before, caller.Mm)
	pm, _ := mmOf(c.after, callerAfter.Mm)
	cm, _ := mmOf(c.after, child.Mm)
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	callerTid, childTid := tidWordPages(a, was)
	if !slices.Equal(pm.Mappings, was.Mappings) || !slices.Equal(pageValues(pm, callerTid), pageValues(was, callerTid)) {
		bad("the caller's address space changed (FORK-2)")
	}
	bad2 := checkTidWords(was, pm, cm, callerTid, childTid, child.Tid)
	errs = append(errs, bad2...)
	want := slices.DeleteFunc(slices.Clone(pm.Mappings), func(m abi.MappingView) bool { return m.DontFork })
	if !slices.Equal(cm.Mappings, want) {
		bad("child's mappings %v, want the caller's without its DONTFORK ranges %v", cm.Mappings, want)
	}
	parent := map[uint64]abi.PageView{}
	for _, p := range pm.Pages {
		parent[p.Addr] = p
	}
	for _, p := range cm.Pages {
		mp, ok := mappingAt(pm, p.Addr)
		switch {
		case !ok:
			bad("child page %#x holds a frame outside the caller's mappings", p.Addr)
		case (callerTid[p.Addr] || childTid[p.Addr]) && !mp.Shared && !mp.DontFork:
			// A tid word: checkTidWords.
		case mp.DontFork:
			bad("child page %#x of a DONTFORK range holds a frame", p.Addr)
		case mp.WipeOnFork:
			bad("child page %#x of a WIPEONFORK range holds value %#x, want it to read zero", p.Addr, p.Value)
		case parent[p.Addr] != p:
			bad("child page %#x holds %#x in frame %d, the caller's holds %v", p.Addr, p.Value, p.Frame, parent[p.Addr])
		}
	}
	// A private page the caller stored to is in the child, in the same frame
	// (COW-1). A MAP_SHARED page may show only once the child touches it.
	have := map[uint64]bool{}
	for _, p := range cm.Pages {
		have[p.Addr] = true
	}
	for _, p := range pm.Pages {
		if mp, _ := mappingAt(pm, p.Addr); !mp.DontFork && !mp.WipeOnFork && !mp.Shared && !have[p.Addr] && !callerTid[p.Addr] {
			bad("the caller's private page %#x (value %#x) is missing in the child", p.Addr, p.Value)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("FORK-6: %v by %d: %v", c.sc, c.tid, errs)
	}
	return nil
}

// mappingAt is the mapping of m that holds addr.
func mappingAt(m abi.MmView, addr uint64) (abi.MappingView, bool) {
	i, ok := slices.BinarySearchFunc(m.Mappings, addr, func(mp abi.MappingView, a uint64) int {
		switch {
		case mp.End <= a:
			return -1
		case mp.Start > a:
			return 1
		}
		return 0
	})
	if !ok {
		return abi.MappingView{}, false
	}
	return m.Mappings[i], true
}

// pageValues is m's pages without their frame identities, which the
// canonical numbering may shift when other address spaces appear.
func pageValues(m abi.MmView, skip map[uint64]bool) []abi.PageView {
	out := make([]abi.PageView, 0, len(m.Pages))
	for _, p := range m.Pages {
		if !skip[p.Addr] {
			out = append(out, abi.PageView{Addr: p.Addr, Value: p.Value})
		}
	}
	return out
}

// tidWordPages are the pages a creation's tid stores write (CLONE-8a):
// parent_tid's in the caller's memory (after the copy), child_tid's in the
// child's (schedule_tail). A tid word on a MAP_SHARED page is written
// through both.
func tidWordPages(a cloneArgs, was abi.MmView) (caller, child map[uint64]bool) {
	caller, child = map[uint64]bool{}, map[uint64]bool{}
	if a.flags&abi.CLONE_PARENT_SETTID != 0 && a.ptid != 0 {
		caller[a.ptid&^(abi.PageSize-1)] = true
	}
	if a.flags&abi.CLONE_CHILD_SETTID != 0 && a.ctid != 0 {
		child[a.ctid&^(abi.PageSize-1)] = true
	}
	for _, pair := range [][2]map[uint64]bool{{caller, child}, {child, caller}} {
		for addr := range pair[0] {
			if mp, ok := mappingAt(was, addr); ok && mp.Shared {
				pair[1][addr] = true
			}
		}
	}
	return caller, child
}

// checkTidWords: a tid word in a writable mapping holds the child's tid in
// its low 32 bits and the old upper half (x86-64 is little-endian); one the
// store cannot reach keeps its value; the child's copy of a private
// parent_tid page is the caller's page from before the store.
func checkTidWords(was, pm, cm abi.MmView, callerTid, childTid map[uint64]bool, tid int) []string {
	var errs []string
	old := values(was)
	check := func(who string, m abi.MmView, addr uint64) {
		mp, ok := mappingAt(m, addr)
		want := old[addr]
		switch {
		case !ok:
			want = 0 // a DONTFORK range the child does not have
		case who == "child" && mp.WipeOnFork:
			want = 0
		}
		if ok && mp.Prot&abi.PROT_WRITE != 0 {
			want = want&^0xffffffff | uint64(tid)
		}
		if got := values(m)[addr]; got != want {
			errs = append(errs, fmt.Sprintf("the %s's tid word at %#x holds %#x, want %#x (CLONE-8a)", who, addr, got, want))
		}
	}
	for addr := range callerTid {
		check("caller", pm, addr)
		if mp, ok := mappingAt(was, addr); ok && !mp.Shared && !childTid[addr] && values(cm)[addr] != old[addr] {
			errs = append(errs, fmt.Sprintf("the child's copy of the parent_tid page %#x holds %#x, want the caller's %#x from before the store", addr, values(cm)[addr], old[addr]))
		}
	}
	for addr := range childTid {
		check("child", cm, addr)
	}
	slices.Sort(errs)
	return errs
}

// checkSignalInheritance is FORK-3, FORK-5 and CLONE-4 at task creation and
// EXEC-3 at exec: see CheckSignalInheritance.
func checkSignalInheritance(c *stepCtx) error {
	if c.res.Outcome == abi.OutcomeKilled || c.res.Outcome.Refused() {
		return nil
	}
	if _, ok := asClone(c.sc); ok {
		// copy_process may deliver a pending signal first, but a task's
		// creation never generates one (the new process: inherited).
		for _, p := range c.after.Procs {
			was, existed := procOf(c.before, p.Tgid)
			if existed && p.Pending&^was.Pending != 0 {
				return fmt.Errorf("FORK-3: %v by %d made %v pending for process %d", c.sc, c.tid, p.Pending&^was.Pending, p.Tgid)
			}
		}
	}
	if child, a, ok := created(c); ok {
		return inherited(c, child, a)
	}
	if _, ok := c.sc.(abi.Execve); ok && c.res.Outcome == abi.OutcomeExeced {
		old, _ := task(c.before, c.tid)
		t, _ := task(c.after, old.Tgid)
		was, _ := procOf(c.before, old.Tgid)
		now, _ := procOf(c.after, old.Tgid)
		if added := now.Pending &^ was.Pending; added != 0 {
			return fmt.Errorf("EXEC-3: exec by %d made %v pending", c.tid, added)
		}
		if lost := was.Pending & t.Blocked &^ now.Pending; lost != 0 {
			return fmt.Errorf("EXEC-3: exec by %d dropped the pending %v, which it blocks", c.tid, lost)
		}
	}
	return nil
}

// inherited checks a new task's signal state against its creator's.
func inherited(c *stepCtx, child abi.TaskView, a cloneArgs) error {
	caller, _ := task(c.before, c.tid)
	callerAfter, _ := task(c.after, c.tid)
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if child.Blocked != caller.Blocked {
		bad("child's mask %v, the caller's %v", child.Blocked, caller.Blocked)
	}
	if a.flags&abi.CLONE_THREAD == 0 {
		p, ok := procOf(c.after, child.Tgid)
		switch {
		case !ok:
			bad("the new process %d has no process state", child.Tgid)
		case p.Pending != 0:
			bad("the new process starts with %v pending", p.Pending)
		case len(p.Handled) != 0:
			bad("the new process starts with handled counts %v", p.Handled)
		case p.Subreaper:
			bad("the new process inherited the subreaper mark (FORK-5)")
		}
	}
	if a.flags&abi.CLONE_SIGHAND == 0 {
		// The child copies the table as it is when copied: after any
		// delivery copy_process made first.
		want := actions(c.after, callerAfter.Sighand)
		if a.flags&abi.CLONE_CLEAR_SIGHAND != 0 {
			// flush_signal_handlers(p, 0): caught signals to default,
			// ignored ones kept, every sa_flags cleared.
			var kept []abi.ActionView
			for _, act := range want {
				if act.Handler == abi.SigIgnore {
					kept = append(kept, abi.ActionView{Sig: act.Sig, Handler: abi.SigIgnore})
				}
			}
			want = kept
		}
		if got := actions(c.after, child.Sighand); !slices.Equal(got, want) {
			bad("child's dispositions %v, want %v (CLONE-4)", got, want)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("FORK-3: %v by %d: %v", c.sc, c.tid, errs)
	}
	return nil
}

// procOf finds process tgid in v.
func procOf(v abi.View, tgid int) (abi.ProcView, bool) {
	i, ok := slices.BinarySearchFunc(v.Procs, tgid, func(p abi.ProcView, tgid int) int { return p.Tgid - tgid })
	if !ok {
		return abi.ProcView{}, false
	}
	return v.Procs[i], true
}

// actions is the non-default actions of disposition table id in v.
func actions(v abi.View, id int) []abi.ActionView {
	for _, s := range v.Sighands {
		if s.ID == id {
			return s.Actions
		}
	}
	return nil
}
