package model

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/forkspec/forkspec/abi"
)

// CheckInvariants recomputes the model's structural rules from scratch and
// returns every violation, joined (nil when all hold): the task table and
// thread groups, parent links, vfork links, objects of live and zombie
// tasks, fd tables and open files, dispositions and masks, and the address
// spaces with their frame tokens.
func (k *Kernel) CheckInvariants() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }

	if len(k.tasks) > k.limit {
		bad("%d tasks exceed the limit %d", len(k.tasks), k.limit)
	}
	if t, ok := k.tasks[1]; !ok || t.group.tgid != 1 || !t.alive() && t.group.firstAlive() == nil {
		bad("task 1's group must exist and have a live thread")
	}
	frozenBy := map[*task]int{}
	for _, tid := range k.sortedTids() {
		t := k.tasks[tid]
		g := t.group
		if t.tid != tid {
			bad("task %d filed under %d", t.tid, tid)
		}
		if tid <= 0 || tid >= k.nextTid {
			bad("task %d outside allocated pids 1..%d", tid, k.nextTid-1)
		}
		if g == nil {
			bad("task %d has no group", tid)
			continue
		}
		if !slices.Contains(g.threads, t) {
			bad("task %d missing from group %d's threads", tid, g.tgid)
		}
		if t.state == abi.Zombie {
			if t != g.leader {
				bad("task %d is a zombie but not a group leader", tid)
			}
			if !t.exiting {
				bad("zombie %d is not marked exiting", tid)
			}
			if t.mm != nil || t.files != nil || t.sighand != nil || t.fs != nil {
				bad("zombie %d still holds its objects", tid)
			}
		} else {
			if t.exiting {
				bad("task %d is exiting but not a zombie after the step", tid)
			}
			if t.mm == nil || t.files == nil || t.sighand == nil || t.fs == nil {
				bad("live task %d lacks an object", tid)
			}
		}
		if t.blocked.Has(abi.SIGKILL) || t.blocked.Has(abi.SIGSTOP) {
			bad("task %d blocks SIGKILL or SIGSTOP", tid)
		}
		if p := t.vforkParent; p != nil {
			if k.tasks[p.tid] != p || p.state != abi.VforkFrozen {
				bad("task %d's vfork parent is not a frozen task in existence", tid)
			}
			frozenBy[p]++
		}
	}
	for _, tid := range k.sortedTids() {
		t := k.tasks[tid]
		if n := frozenBy[t]; (t.state == abi.VforkFrozen) != (n == 1) {
			bad("task %d: state %v with %d vfork children", tid, t.state, n)
		}
	}

	for _, g := range k.groups() {
		errs = append(errs, k.checkGroup(g)...)
	}

	mms := k.liveMms()
	tokenValue := map[uint64]uint64{}
	sharedTokens := map[uint64]bool{}
	for _, m := range mms {
		errs = append(errs, checkMm(m, k.lowestMappable(), k.nextToken, tokenValue, sharedTokens)...)
	}
	for _, tid := range k.sortedTids() {
		t := k.tasks[tid]
		if t.files != nil {
			for fd, sl := range t.files.fds {
				if f := sl.file; f != nil {
					if f.offset < 0 {
						bad("fd %d of task %d: negative offset %d", fd, tid, f.offset)
					}
					switch {
					case f.pipe != nil:
						if f.path != "pipe" || f.offset != 0 {
							bad("fd %d of task %d: a pipe end with path %q offset %d", fd, tid, f.path, f.offset)
						}
						if err := f.pipe.check(); err != "" {
							bad("fd %d of task %d: pipe %d: %s", fd, tid, f.pipe.id, err)
						}
					case !slices.Contains(abi.Files, f.path):
						bad("fd %d of task %d: unknown path %q", fd, tid, f.path)
					}
				} else if sl.cloexec {
					bad("closed fd %d of task %d has close-on-exec set", fd, tid)
				}
			}
		}
		if (t.state == abi.Blocked) != (t.wait != nil) {
			bad("task %d: state %v with wait %v", tid, t.state, t.wait != nil)
		}
		if t.wait != nil && t.ret != nil {
			bad("task %d: asleep with a result kept", tid)
		}
		if t.sighand != nil {
			for _, sig := range []int{abi.SIGKILL, abi.SIGSTOP} {
				if t.sighand.actions[sig] != (action{}) {
					bad("task %d: %s has a non-default action", tid, abi.SignalName(sig))
				}
			}
		}
		if t.fs != nil && t.fs.umask&^0o777 != 0 {
			bad("task %d: umask %#o", tid, t.fs.umask)
		}
	}
	for p, size := range k.sizes {
		if size < 0 {
			bad("file %s has size %d", p, size)
		}
	}
	// Sorted, so that map order never shows in the report.
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errors.Join(errs...)
}

// checkGroup verifies one thread group's structure and links.
func (k *Kernel) checkGroup(g *group) []error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("group %d: "+format, append([]any{g.tgid}, a...)...))
	}
	if g.leader == nil || g.leader.tid != g.tgid || g.leader.group != g {
		bad("leader does not carry the tgid")
	}
	if len(g.threads) == 0 {
		bad("no threads")
	}
	for i, t := range g.threads {
		if t.group != g || k.tasks[t.tid] != t {
			bad("thread %d is not a task of this group", t.tid)
		}
		if i > 0 && g.threads[i-1].tid >= t.tid {
			bad("threads out of tid order")
		}
		if t.mm != g.leader.mm && t.mm != nil && g.leader.mm != nil {
			bad("threads %d and %d use different mms", t.tid, g.leader.tid)
		}
		if h := g.sighand(); t.sighand != nil && t.sighand != h {
			bad("thread %d uses another disposition table", t.tid)
		}
	}
	if g.dead != (len(g.threads) == 1 && g.leader.state == abi.Zombie) {
		bad("dead=%v but %d threads, leader %v", g.dead, len(g.threads), g.leader.state)
	}
	if g.leader.state == abi.Zombie && !g.dead && g.firstAlive() == nil {
		bad("zombie leader with no live thread left is not dead")
	}
	if g.dead && !g.groupExit {
		bad("dead process with no exit status")
	}
	if g.fatal != 0 {
		bad("group exit by signal %d started but not carried out", g.fatal)
	}
	if !slices.Contains(g.threads, g.currTarget) {
		bad("complete_signal's search starts outside the group")
	}
	for _, t := range g.threads {
		if t.sigpending && t.state != abi.VforkFrozen {
			bad("thread %d (%v) was told of signals it has not taken", t.tid, t.state)
		}
		for sig, n := range t.handled {
			if n <= 0 || n > g.handled[sig] {
				bad("thread %d ran the %s handler %d times, its process %d", t.tid, abi.SignalName(sig), n, g.handled[sig])
			}
		}
	}
	if g.isInit() {
		if g.parent != nil {
			bad("init has a parent")
		}
		if g.dead || g.groupExit {
			bad("init exited")
		}
	} else {
		p := g.parent
		switch {
		case p == nil:
			bad("no parent")
		case k.tasks[p.tid] != p:
			bad("parent %d is not a task in existence", p.tid)
		case p.exiting:
			bad("parent %d is exiting", p.tid)
		}
		// The parent chain reaches init without a cycle.
		steps := 0
		for q := g; q != nil && !q.isInit(); steps++ {
			if steps > len(k.tasks) || q.parent == nil {
				bad("parent chain does not reach init")
				break
			}
			q = q.parent.group
		}
	}
	if g.exitSignal < 0 || g.exitSignal > 255 {
		bad("exit signal %d", g.exitSignal)
	}
	if _, ok := abi.Images[g.image]; !ok {
		bad("image %q not in the table", g.image)
	}
	return errs
}

// checkMm verifies one address space: sorted, aligned, non-overlapping
// mappings inside user space; private pages only inside private mappings
// (tokens only on mapped pages); tokens allocated and equal tokens holding
// equal values; shared and private tokens never mixed.
func checkMm(m *mm, lowest, nextToken uint64, tokenValue map[uint64]uint64, sharedTokens map[uint64]bool) []error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("mm %d: "+format, append([]any{m.id}, a...)...))
	}
	for i, v := range m.vmas {
		if v.start&pageMask != 0 || v.end&pageMask != 0 || v.start >= v.end {
			bad("mapping [%#x,%#x) not aligned or empty", v.start, v.end)
		}
		if v.start < lowest || v.end > abi.TaskSize {
			bad("mapping [%#x,%#x) outside user space", v.start, v.end)
		}
		if i > 0 && m.vmas[i-1].end > v.start {
			bad("mappings overlap or are unsorted at %#x", v.start)
		}
		if v.prot&^7 != 0 {
			bad("mapping at %#x has prot %#x", v.start, v.prot)
		}
		if v.obj != nil && v.wipeOnFork {
			bad("shared mapping at %#x marked WIPEONFORK", v.start)
		}
		if v.obj == nil && v.off != 0 {
			bad("private mapping at %#x has an object offset", v.start)
		}
		if (v.obj != nil && v.accounted) || (v.obj == nil && v.prot&abi.PROT_WRITE != 0 && !v.accounted) {
			bad("mapping at %#x: accounted=%v with prot %#x (MEM-3l)", v.start, v.accounted, v.prot)
		}
		if v.execOnly && v.prot != abi.PROT_EXEC {
			bad("mapping at %#x: execute-only with prot %#x (MEM-3i)", v.start, v.prot)
		}
		if v.obj != nil {
			for off, p := range v.obj.pages {
				if off&pageMask != 0 {
					bad("shared object %d page offset %#x unaligned", v.obj.id, off)
				}
				errs = append(errs, checkToken(m, p, true, nextToken, tokenValue, sharedTokens)...)
			}
		}
	}
	for a, p := range m.pages {
		i := m.find(a)
		if a&pageMask != 0 || i < 0 || m.vmas[i].obj != nil {
			bad("private page %#x holds a frame outside a private mapping", a)
		}
		errs = append(errs, checkToken(m, p, false, nextToken, tokenValue, sharedTokens)...)
	}
	return errs
}

func checkToken(m *mm, p page, shared bool, nextToken uint64, tokenValue map[uint64]uint64, sharedTokens map[uint64]bool) []error {
	var errs []error
	if p.token == 0 || p.token >= nextToken {
		errs = append(errs, fmt.Errorf("mm %d: token %d never allocated", m.id, p.token))
	}
	if v, ok := tokenValue[p.token]; ok && v != p.value {
		errs = append(errs, fmt.Errorf("mm %d: frame %d holds %#x and %#x", m.id, p.token, v, p.value))
	}
	tokenValue[p.token] = p.value
	if was, ok := sharedTokens[p.token]; ok && was != shared {
		errs = append(errs, fmt.Errorf("mm %d: frame %d is both private and shared", m.id, p.token))
	}
	sharedTokens[p.token] = shared
	return errs
}
