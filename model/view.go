package model

import "github.com/forkspec/forkspec/abi"

// View reports the observable state (abi.View) with the model's own object
// ids as raw identities and frame tokens as frames, canonicalized. Every
// loop runs in tid or address order, so the result never depends on map
// iteration order.
func (k *Kernel) View() abi.View {
	var v abi.View
	for _, tid := range k.sortedTids() {
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
	for _, g := range k.groups() {
		pv := abi.ProcView{Tgid: g.tgid, Subreaper: g.subreaper, Pending: g.pending, Handled: sigCounts(g.handled)}
		v.Procs = append(v.Procs, pv)
	}
	seenMm, seenFd, seenFile, seenSh, seenFs := map[int]bool{}, map[int]bool{}, map[int]bool{}, map[int]bool{}, map[int]bool{}
	for _, tid := range k.sortedTids() {
		t := k.tasks[tid]
		if t.mm == nil {
			continue
		}
		if !seenMm[t.mm.id] {
			seenMm[t.mm.id] = true
			v.Mms = append(v.Mms, mmView(t.mm))
		}
		if !seenFd[t.files.id] {
			seenFd[t.files.id] = true
			fv := abi.FdTableView{ID: t.files.id}
			for fd, sl := range t.files.fds {
				if sl.file == nil {
					continue
				}
				fv.Fds = append(fv.Fds, abi.FdView{Fd: fd, File: sl.file.id, Cloexec: sl.cloexec})
				if !seenFile[sl.file.id] {
					seenFile[sl.file.id] = true
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
		if !seenSh[t.sighand.id] {
			seenSh[t.sighand.id] = true
			sv := abi.SighandView{ID: t.sighand.id}
			for sig := 1; sig <= abi.NSIG; sig++ {
				if a := t.sighand.actions[sig]; a != (action{}) {
					sv.Actions = append(sv.Actions, abi.ActionView{Sig: sig, Handler: a.handler, Flags: a.flags})
				}
			}
			v.Sighands = append(v.Sighands, sv)
		}
		if !seenFs[t.fs.id] {
			seenFs[t.fs.id] = true
			v.Fss = append(v.Fss, abi.FsView{ID: t.fs.id, Umask: t.fs.umask})
		}
	}
	for _, p := range abi.Files {
		v.Inodes = append(v.Inodes, abi.InodeView{Path: p, Size: k.sizes[p]})
	}
	return abi.Canonicalize(v)
}

// sigCounts lists handler-run counts in signal order.
func sigCounts(m map[int]int) []abi.SigCount {
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
	mv := abi.MmView{ID: m.id}
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
