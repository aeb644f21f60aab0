package impl

import (
	"slices"

	"github.com/forkspec/forkspec/abi"
)

// View reports the observable state (abi.Kernel): raw identities (object
// ids, frame numbers + 1) canonicalized by abi.Canonicalize. Pages are listed
// when they hold a data frame: a private page's PTE maps a frame other than
// the zero frame; a MAP_SHARED page's object has a frame for it, whether or
// not this mm's PTE is present (COW-7).
func (k *Kernel) View() abi.View { return abi.CanonicalizeOwned(k.raw(k.sortedTasks())) }

// RawView is View before Canonicalize: impl's own identities (for tests of
// Touched, abi.Uncovered).
func (k *Kernel) RawView() abi.View { return k.raw(k.sortedTasks()) }

// raw reports the tasks ts (in tid order) and everything they reach, with
// impl's own identities.
func (k *Kernel) raw(ts []*task) abi.View {
	v := abi.View{Tasks: make([]abi.TaskView, 0, len(ts)), Procs: make([]abi.ProcView, 0, len(ts))}
	// seen[id] marks the objects reported (one counter numbers them all,
	// nextID), seenG[tgid] the processes.
	seen, seenG := make([]bool, k.nextID+1), make([]bool, k.nextPid)
	for _, t := range ts {
		g := t.g
		tv := abi.TaskView{Tid: t.tid, Tgid: g.tgid, Ppid: g.ppid(), ExitSignal: t.exitSignal, Image: t.image, Blocked: t.blocked,
			Handled: counts(&t.handled), Pending: t.pending}
		if t.sl != nil {
			tv.Call = t.sl.call.String()
		} else if t.done != nil {
			tv.Call, tv.Returned, tv.Return = t.doneCall, true, *t.done
		}
		switch {
		case t.state == stateBlocked:
			tv.State = abi.Blocked
		case t.state == stateZombie:
			tv.State = abi.Zombie
			if len(g.threads) == 1 {
				tv.WaitStatus = g.status
			}
		case t.state == stateFrozen:
			tv.State = abi.VforkFrozen
		}
		if t.mm != nil {
			tv.Mm, tv.FdTable, tv.Sighand, tv.Fs = t.mm.id, t.files.id, t.sh.id, t.fs.id
			if !seen[t.mm.id] {
				seen[t.mm.id] = true
				v.Mms = append(v.Mms, k.mmView(t.mm))
			}
			if !seen[t.files.id] {
				seen[t.files.id] = true
				ftv := abi.FdTableView{ID: t.files.id}
				for fd, s := range t.files.fds {
					if s.file == nil {
						continue
					}
					ftv.Fds = append(ftv.Fds, abi.FdView{Fd: fd, File: s.file.id, Cloexec: s.cloexec})
					if !seen[s.file.id] {
						seen[s.file.id] = true
						fv := abi.FileView{ID: s.file.id, Path: s.file.path, Offset: s.file.offset}
						if p := s.file.pipe; p != nil {
							fv.Pipe, fv.WriteEnd = p.id, s.file.wr
							v.Pipes = append(v.Pipes, abi.PipeView{ID: p.id, Bytes: p.bytes()})
						}
						v.Files = append(v.Files, fv)
					}
				}
				v.FdTables = append(v.FdTables, ftv)
			}
			if !seen[t.sh.id] {
				seen[t.sh.id] = true
				shv := abi.SighandView{ID: t.sh.id}
				for sig := 1; sig <= abi.NSIG; sig++ {
					if a := t.sh.act[sig]; a != (action{}) {
						shv.Actions = append(shv.Actions, abi.ActionView{Sig: sig, Handler: a.handler, Flags: a.flags})
					}
				}
				v.Sighands = append(v.Sighands, shv)
			}
			if !seen[t.fs.id] {
				seen[t.fs.id] = true
				v.Fss = append(v.Fss, abi.FsView{ID: t.fs.id, Umask: t.fs.umask})
			}
		}
		v.Tasks = append(v.Tasks, tv)
		if !seenG[g.tgid] {
			seenG[g.tgid] = true
			pv := abi.ProcView{Tgid: g.tgid, Subreaper: g.subreaper, Pending: g.pending, Handled: counts(&g.handled)}
			v.Procs = append(v.Procs, pv)
		}
	}
	for _, p := range abi.Files {
		if sz := k.inodes[p]; sz != 0 {
			v.Inodes = append(v.Inodes, abi.InodeView{Path: p, Size: sz})
		}
	}
	return v
}

// mmView lists m's mappings and the pages holding a data frame.
func (k *Kernel) mmView(m *mm) abi.MmView {
	mv := abi.MmView{ID: m.id}
	for i := range m.vmas {
		v := &m.vmas[i]
		mv.Mappings = append(mv.Mappings, abi.MappingView{Start: v.start, End: v.end, Prot: v.prot, Shared: v.shared, DontFork: v.dontfork, WipeOnFork: v.wipe})
		if v.shared {
			var idx []uint64
			for p := range v.shm.pages {
				if p >= v.pgoff && p < v.pgoff+v.pages() {
					idx = append(idx, p)
				}
			}
			slices.Sort(idx)
			for _, p := range idx {
				f := v.shm.pages[p]
				mv.Pages = append(mv.Pages, abi.PageView{Addr: v.start + (p-v.pgoff)<<pageShift, Value: k.frames.meta(f).val, Frame: int(f) + 1})
			}
			continue
		}
		m.pt.walk(v.start, v.end, func(l *ptPage, base uint64, lo, hi int) {
			for x := lo; x < hi; x++ {
				if e := l.ent[x]; e.present() && e.frame() != zeroFrame {
					f := e.frame()
					mv.Pages = append(mv.Pages, abi.PageView{Addr: base + uint64(x)<<pageShift, Value: k.frames.meta(f).val, Frame: int(f) + 1})
				}
			}
		})
	}
	return mv
}

// counts lists the nonzero handler-run counts.
func counts(c *[abi.NSIG + 1]int) []abi.SigCount {
	var out []abi.SigCount
	for sig, n := range c {
		if n > 0 {
			out = append(out, abi.SigCount{Sig: sig, Count: n})
		}
	}
	return out
}
