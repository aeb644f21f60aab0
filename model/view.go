package model

import "github.com/forkspec/forkspec/abi"

// View reports the observable state (abi.View) with the model's own object
// ids as raw identities and frame tokens as frames, canonicalized. Every
// loop runs in tid or address order, so the result never depends on map
// iteration order.
func (k *Kernel) View() abi.View { return abi.CanonicalizeOwned(k.raw(k.sortedTids())) }

// RawView is View before Canonicalize: the model's own object ids and frame
// tokens, stable across steps (for tests of Touched, abi.Uncovered).
func (k *Kernel) RawView() abi.View { return k.raw(k.sortedTids()) }

// raw reports the tasks tids (ascending, each in existence) and everything
// they reach, with the model's own identities: the whole world when tids
// are every task.
func (k *Kernel) raw(tids []int) abi.View {
	v := abi.View{Tasks: make([]abi.TaskView, 0, len(tids))}
	for _, tid := range tids {
		t := k.tasks[tid]
		g := t.group
		tv := abi.TaskView{
			Tid:     t.tid,
			Tgid:    g.tgid,
			Ppid:    g.ppid(),
			State:   t.state,
			Image:   g.image,
			Blocked: t.blocked,
			Handled: sigCounts(t.handled),
			Pending: t.pending,
		}
		switch {
		case t.wait != nil:
			tv.Call = t.wait.call.String()
		case t.ret != nil:
			tv.Call, tv.Returned, tv.Return = t.retCall, true, *t.ret
		}
		if t == g.leader {
			tv.ExitSignal = g.exitSignal
		} else {
			tv.ExitSignal = -1
		}
		if t.state == abi.Zombie && g.dead {
			tv.WaitStatus = g.exitStatus
		}
		if t.mm != nil {
			tv.Mm, tv.FdTable, tv.Sighand, tv.Fs = t.mm.id, t.files.id, t.sighand.id, t.fs.id
		}
		v.Tasks = append(v.Tasks, tv)
	}
	// seen[id] marks the shared objects reported (one id counter numbers
	// them all, newID), seenGroup[tgid] the processes.
	seen, seenGroup := make([]bool, k.nextID), make([]bool, k.nextTid)
	v.Procs = make([]abi.ProcView, 0, len(tids))
	for _, tid := range tids {
		if g := k.tasks[tid].group; !seenGroup[g.tgid] {
			seenGroup[g.tgid] = true
			pv := abi.ProcView{Tgid: g.tgid, Subreaper: g.subreaper, Pending: g.pending, Handled: sigCounts(g.handled)}
			v.Procs = append(v.Procs, pv)
		}
	}
	for _, tid := range tids {
		t := k.tasks[tid]
		if t.mm == nil {
			continue
		}
		if !seen[t.mm.id] {
			seen[t.mm.id] = true
			v.Mms = append(v.Mms, mmView(t.mm))
		}
		if !seen[t.files.id] {
			seen[t.files.id] = true
			fv := abi.FdTableView{ID: t.files.id}
			for fd, sl := range t.files.fds {
				if sl.file == nil {
					continue
				}
				fv.Fds = append(fv.Fds, abi.FdView{Fd: fd, File: sl.file.id, Cloexec: sl.cloexec})
				if !seen[sl.file.id] {
					seen[sl.file.id] = true
					fv := abi.FileView{ID: sl.file.id, Path: sl.file.path, Offset: sl.file.offset}
					if p := sl.file.pipe; p != nil {
						fv.Pipe, fv.WriteEnd = p.id, sl.file.writeEnd
						v.Pipes = append(v.Pipes, abi.PipeView{ID: p.id, Bytes: p.bytes()})
					}
					v.Files = append(v.Files, fv)
				}
			}
			v.FdTables = append(v.FdTables, fv)
		}
		if !seen[t.sighand.id] {
			seen[t.sighand.id] = true
			sv := abi.SighandView{ID: t.sighand.id}
			for sig := 1; sig <= abi.NSIG; sig++ {
				if a := t.sighand.actions[sig]; a != (action{}) {
					sv.Actions = append(sv.Actions, abi.ActionView{Sig: sig, Handler: a.handler, Flags: a.flags})
				}
			}
			v.Sighands = append(v.Sighands, sv)
		}
		if !seen[t.fs.id] {
			seen[t.fs.id] = true
			v.Fss = append(v.Fss, abi.FsView{ID: t.fs.id, Umask: t.fs.umask})
		}
	}
	v.Inodes = make([]abi.InodeView, 0, len(abi.Files))
	for _, p := range abi.Files {
		v.Inodes = append(v.Inodes, abi.InodeView{Path: p, Size: k.sizes[p]})
	}
	return v
}

// sigCounts lists handler-run counts in signal order.
func sigCounts(m map[int]int) []abi.SigCount {
	if len(m) == 0 {
		return nil
	}
	var out []abi.SigCount
	for sig := 1; sig <= abi.NSIG; sig++ {
		if n := m[sig]; n > 0 {
			out = append(out, abi.SigCount{Sig: sig, Count: n})
		}
	}
	return out
}

// mmView reports one address space: its mappings and every page that holds
// a frame — private pages stored to, and touched pages of shared objects as
// seen through each shared mapping (COW-7).
func mmView(m *mm) abi.MmView {
	mv := abi.MmView{ID: m.id, Mappings: make([]abi.MappingView, 0, len(m.vmas)), Pages: make([]abi.PageView, 0, len(m.pages))}
	for _, x := range m.vmas {
		mv.Mappings = append(mv.Mappings, abi.MappingView{
			Start: x.start, End: x.end, Prot: x.prot, Shared: x.obj != nil,
			DontFork: x.dontFork, WipeOnFork: x.wipeOnFork,
		})
		if x.obj != nil {
			for off, p := range x.obj.pages {
				if off >= x.off && off-x.off < x.end-x.start {
					mv.Pages = append(mv.Pages, abi.PageView{Addr: x.start + (off - x.off), Value: p.value, Frame: int(p.token)})
				}
			}
		}
	}
	for a, p := range m.pages {
		mv.Pages = append(mv.Pages, abi.PageView{Addr: a, Value: p.value, Frame: int(p.token)})
	}
	// Canonicalize sorts pages by address; addresses are unique within an
	// mm, so the map order above never shows.
	return mv
}
