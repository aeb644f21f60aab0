package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/traces"
)

// The HTML viewer's content: what `explain -format html` shows of every
// shot, as plain data for the template in assets/viewer.html. Every field
// is text the page prints; nothing here knows about markup.

// palette is the number of frame colours in assets/viewer.css (.f0 … .f11).
// Frames whose names differ by a multiple share a colour, never a label.
const palette = 12

// vStep is one step of the page: the call, its results and one world per
// backend.
type vStep struct {
	Index int // 0 for the initial state
	Of    int // the number of steps in the trace
	Line  int // the step's line in the trace file, 0 for the initial state
	Tid   int
	Call  string // "" for the initial state
	Want  string // the trace's expected result, "" for none
	// Results are per backend, each marked Bad when it is not what the
	// trace expects or not what the first backend returned.
	Results []vResult
	Notes   []string // the trace's comments on the step, as paragraphs
	// Label sums the step up in one line, for the slider's aria-valuetext.
	Label string
	// Diverged marks the first divergence; Report is its explanation, and
	// ReportHead the explanation's first line without the trace's name.
	Diverged   bool
	Report     string
	ReportHead string
	// Differences names the elements marked as differing between the
	// backends ("page mm4 0x100000200000"), in order.
	Differences []string
	Worlds      []*vWorld
}

// vResult is one backend's result of a step.
type vResult struct {
	Backend string
	Text    string
	Bad     bool
}

// vWorld is one backend's picture after a step.
type vWorld struct {
	Backend string
	// Multi is set when the page shows several backends side by side.
	Multi bool
	// Missing says why there is no picture (the backend panicked).
	Missing string
	// FramesNote is set when frame names hold for this step only.
	FramesNote string
	Procs      []*vProc // the roots of the process tree
	Mms        []*vMm
	Frames     []*vFrame
	FdTables   []*vFdTable
	Files      []*vFile
	Sighands   []*vSighand
	Others     []*vLine // umasks other than the default, sizes of files written to
	// texts and marks key every element that can differ between backends
	// to its text and its Differs flag (see markDifferences).
	texts map[string]string
	marks map[string]*bool
}

// vProc is one process (thread group): its threads and child processes.
type vProc struct {
	Pid      int
	Image    string
	Tags     []string // subreaper, pending signals, handled counts
	Threads  []*vTask
	Children []*vProc
	Differs  bool
}

// vTask is one task (thread).
type vTask struct {
	Tid   int
	State string // "running", "frozen (vfork parent)", "zombie, exit(1)"
	// StateClass is running, frozen or zombie.
	StateClass           string
	Mm, Fds, Sighand, Fs string   // object names, "" for a zombie
	Tags                 []string // thread, exit signal, blocked signals
	Differs              bool
}

// vMm is one address space.
type vMm struct {
	Name     string // "mm2"
	TaskAttr string // "2 3": the tids using it, for CSS's [data-tasks~="3"]
	TaskList string // "2, 3"
	Mappings []*vMapping
	Stray    []*vCell // pages outside every mapping (a backend bug)
	Differs  bool
}

// vMapping is one mapping and its pages that hold a frame.
type vMapping struct {
	Range string // "0x100000200000-0x100000202000"
	Prot  string // "rw-"
	Kind  string // "private", "shared dontfork", …
	Size  string // "2 pages"
	Cells []*vCell
}

// vCell is one page that holds a frame.
type vCell struct {
	Addr, Value string
	Frame       string // "F2": the frame's label
	Num         int    // its stable name
	Color       int    // 0 … palette-1
	Refs        int
	Mark        string // "COW", "shared" or ""
	New         bool   // the frame appeared at this step
	Differs     bool
}

// vFrame is one frame and the pages it backs: the sharing partition.
type vFrame struct {
	Frame   string
	Color   int
	Refs    int
	Users   string // "mm1 0x100000200000, mm2 0x100000200000"
	New     bool
	Differs bool
	// key names the frame for markDifferences by its first page, which
	// does not depend on the backend's frame names.
	key string
}

// vFdTable is one fd table.
type vFdTable struct {
	Name     string
	TaskList string
	Fds      []vFd
	Differs  bool
}

// vFd is one fd.
type vFd struct {
	Fd      int
	File    string // "file1"
	Cloexec bool
}

// vFile is one open file description.
type vFile struct {
	Name, Path string
	Offset     int64
	Differs    bool
}

// vSighand is one disposition table with non-default actions.
type vSighand struct {
	Name     string
	TaskList string
	Actions  []string
	Differs  bool
}

// vLine is one line of other state.
type vLine struct {
	Text    string
	Differs bool
}

// buildStep turns a shot into the page's step; backends names the columns.
func buildStep(t *traces.Trace, sh *shot, backends []string) *vStep {
	st := &vStep{Index: sh.index, Of: len(t.Steps)}
	if s := sh.step; s != nil {
		st.Line, st.Tid, st.Call = s.Line, s.Tid, s.Call.String()
		if s.Want != nil {
			st.Want = traces.ResultText(s.Call, *s.Want)
		}
		for i, b := range backends {
			r := sh.results[i]
			bad := (s.Want != nil && r != *s.Want) || r != sh.results[0]
			st.Results = append(st.Results, vResult{Backend: b, Text: traces.ResultText(s.Call, r), Bad: bad})
		}
		st.Notes = paragraphs(stepNotes(s))
		st.Label = fmt.Sprintf("Step %d of %d: task %d %s → %s", sh.index, len(t.Steps), s.Tid, st.Call, st.Results[0].Text)
	} else {
		st.Label = fmt.Sprintf("Initial state, step 0 of %d", len(t.Steps))
	}
	if sh.div != nil {
		st.Diverged, st.Report = true, sh.div.Error()
		st.ReportHead, _, _ = strings.Cut(st.Report, "\n")
		if _, after, ok := strings.Cut(st.ReportHead, ": "); ok {
			st.ReportHead = after
		}
	}
	for i, b := range backends {
		w := &vWorld{Backend: b, Multi: len(backends) > 1, Missing: sh.missing[i]}
		if w.Missing == "" {
			w.fill(newNamedPicture(sh.views[i], sh.names[i]))
		}
		st.Worlds = append(st.Worlds, w)
	}
	st.Differences = markDifferences(st.Worlds)
	return st
}

// paragraphs joins comment lines into paragraphs at blank lines.
func paragraphs(lines []string) []string {
	var out []string
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.Join(cur, " "))
			cur = nil
		}
	}
	for _, l := range lines {
		if l = strings.TrimSpace(l); l == "" {
			flush()
			continue
		}
		cur = append(cur, l)
	}
	flush()
	return out
}

// key records an element that can differ between backends.
func (w *vWorld) key(k, text string, differs *bool) {
	w.texts[k], w.marks[k] = text, differs
}

// fill draws picture p into w.
func (w *vWorld) fill(p *picture) {
	w.texts, w.marks = map[string]string{}, map[string]*bool{}
	w.FramesNote = p.framesNote()
	w.fillProcs(p)
	frames := map[int]*vFrame{}
	var frameOrder []int
	for _, m := range p.mms() {
		name := fmt.Sprintf("mm%d", p.name(kindMm, m.ID))
		vm := &vMm{Name: name, TaskList: p.tidList(m.ID), TaskAttr: strings.ReplaceAll(p.tidList(m.ID), ",", "")}
		mmText := vm.TaskList
		cell := func(pg abi.PageView, mark string) *vCell {
			f := p.name(kindFrame, pg.Frame)
			c := &vCell{Addr: fmt.Sprintf("%#x", pg.Addr), Value: fmt.Sprintf("%#x", pg.Value),
				Frame: fmt.Sprintf("F%d", f), Num: f, Color: (f - 1) % palette, Refs: p.refs[pg.Frame],
				Mark: mark, New: p.isNew(pg)}
			if c.Color < 0 {
				c.Color = 0
			}
			// Differences are the Views': the canonical frame, not the
			// label, which only a backend with abi.FrameNamer has.
			w.key("page "+name+" "+c.Addr, fmt.Sprintf("%s|%d|%d|%s", c.Value, pg.Frame, c.Refs, c.Mark), &c.Differs)
			fr, ok := frames[f]
			if !ok {
				fr = &vFrame{Frame: c.Frame, Color: c.Color, Refs: c.Refs, New: c.New, key: "frame of " + name + " " + c.Addr}
				frames[f] = fr
				frameOrder = append(frameOrder, f)
			}
			if fr.Users != "" {
				fr.Users += ", "
			}
			fr.Users += name + " " + c.Addr
			return c
		}
		for _, mp := range m.Mappings {
			vmp := &vMapping{Range: fmt.Sprintf("%#x-%#x", mp.Start, mp.End), Prot: protText(mp.Prot), Kind: mappingKind(mp),
				Size: pagesText((mp.End - mp.Start) / abi.PageSize)}
			mmText += "|" + mappingText(mp)
			for _, pg := range pagesIn(m, mp) {
				vmp.Cells = append(vmp.Cells, cell(pg, p.pageMark(mp, pg)))
			}
			vm.Mappings = append(vm.Mappings, vmp)
		}
		for _, pg := range strayPages(m) {
			vm.Stray = append(vm.Stray, cell(pg, ""))
		}
		w.key("mm "+name, mmText, &vm.Differs)
		w.Mms = append(w.Mms, vm)
	}
	slices.Sort(frameOrder)
	for _, f := range frameOrder {
		fr := frames[f]
		w.key(fr.key, fmt.Sprintf("%d|%s", fr.Refs, fr.Users), &fr.Differs)
		w.Frames = append(w.Frames, fr)
	}
	w.fillFiles(p)
}

// pagesText is "1 page" or "N pages".
func pagesText(n uint64) string {
	if n == 1 {
		return "1 page"
	}
	return fmt.Sprintf("%d pages", n)
}

// fillProcs draws the process tree.
func (w *vWorld) fillProcs(p *picture) {
	roots, children, threads := p.processes()
	procs := map[int]abi.ProcView{}
	for _, pr := range p.v.Procs {
		procs[pr.Tgid] = pr
	}
	shown := map[int]bool{} // a parent cycle (a backend bug) is drawn once
	var walk func(g int) *vProc
	walk = func(g int) *vProc {
		shown[g] = true
		vp := &vProc{Pid: g, Image: threads[g][0].Image}
		if pr, ok := procs[g]; ok {
			vp.Tags = procTags(pr)
		}
		w.key(fmt.Sprint("process ", g), fmt.Sprintf("%q|%q", vp.Image, vp.Tags), &vp.Differs)
		for _, t := range threads[g] {
			vt := &vTask{Tid: t.Tid, StateClass: "running", State: "running"}
			switch t.State {
			case abi.VforkFrozen:
				vt.StateClass, vt.State = "frozen", "frozen (vfork parent)"
			case abi.Zombie:
				vt.StateClass, vt.State = "zombie", "zombie, "+abi.FormatWaitStatus(t.WaitStatus)
			}
			if t.Mm != 0 {
				vt.Mm = fmt.Sprintf("mm%d", p.name(kindMm, t.Mm))
				vt.Fds = fmt.Sprintf("fds%d", p.name(kindFds, t.FdTable))
				vt.Sighand = fmt.Sprintf("sighand%d", p.name(kindSighand, t.Sighand))
				vt.Fs = fmt.Sprintf("fs%d", p.name(kindFs, t.Fs))
			}
			if e := exitSignalText(t); e != "" {
				vt.Tags = append(vt.Tags, e)
			}
			if t.Blocked != 0 {
				vt.Tags = append(vt.Tags, "blocked "+t.Blocked.String())
			}
			w.key(fmt.Sprint("task ", t.Tid), p.taskText(t), &vt.Differs)
			vp.Threads = append(vp.Threads, vt)
		}
		for _, k := range children[g] {
			if !shown[k] {
				vp.Children = append(vp.Children, walk(k))
			}
		}
		return vp
	}
	for _, g := range roots {
		w.Procs = append(w.Procs, walk(g))
	}
	for _, t := range p.v.Tasks {
		if !shown[t.Tgid] {
			vp := walk(t.Tgid)
			vp.Tags = append([]string{"parent cycle"}, vp.Tags...)
			w.Procs = append(w.Procs, vp)
		}
	}
}

// procTags is the per-process state worth showing.
func procTags(pr abi.ProcView) []string {
	var tags []string
	if pr.Subreaper {
		tags = append(tags, "subreaper")
	}
	if pr.Pending != 0 {
		tags = append(tags, "pending "+pr.Pending.String())
	}
	for _, h := range pr.Handled {
		tags = append(tags, fmt.Sprintf("handled %s×%d", abi.SignalName(h.Sig), h.Count))
	}
	return tags
}

// fillFiles draws fd tables, open files, dispositions, umasks and sizes.
func (w *vWorld) fillFiles(p *picture) {
	users := func(k objKind, id int) string {
		var tids []string
		for _, t := range p.v.Tasks {
			if taskObject(t, k) == id {
				tids = append(tids, fmt.Sprint(t.Tid))
			}
		}
		return strings.Join(tids, ", ")
	}
	for _, t := range byName(p, kindFds, p.v.FdTables, func(t abi.FdTableView) int { return t.ID }) {
		vt := &vFdTable{Name: fmt.Sprintf("fds%d", p.name(kindFds, t.ID)), TaskList: users(kindFds, t.ID)}
		text := vt.TaskList
		for _, f := range t.Fds {
			vt.Fds = append(vt.Fds, vFd{Fd: f.Fd, File: fmt.Sprintf("file%d", p.name(kindFile, f.File)), Cloexec: f.Cloexec})
			text += "|" + p.fdText(f)
		}
		w.key("fds "+vt.Name, text, &vt.Differs)
		w.FdTables = append(w.FdTables, vt)
	}
	for _, f := range byName(p, kindFile, p.v.Files, func(f abi.FileView) int { return f.ID }) {
		vf := &vFile{Name: fmt.Sprintf("file%d", p.name(kindFile, f.ID)), Path: f.Path, Offset: f.Offset}
		w.key("file "+vf.Name, fmt.Sprintf("%q|%d", vf.Path, vf.Offset), &vf.Differs)
		w.Files = append(w.Files, vf)
	}
	for _, s := range byName(p, kindSighand, p.v.Sighands, func(s abi.SighandView) int { return s.ID }) {
		if len(s.Actions) == 0 {
			continue
		}
		vs := &vSighand{Name: fmt.Sprintf("sighand%d", p.name(kindSighand, s.ID)), TaskList: users(kindSighand, s.ID)}
		for _, a := range s.Actions {
			vs.Actions = append(vs.Actions, actionText(a))
		}
		w.key("sighand "+vs.Name, fmt.Sprintf("%s|%q", vs.TaskList, vs.Actions), &vs.Differs)
		w.Sighands = append(w.Sighands, vs)
	}
	for _, f := range byName(p, kindFs, p.v.Fss, func(f abi.FsView) int { return f.ID }) {
		if f.Umask != abi.DefaultUmask {
			l := &vLine{Text: fmt.Sprintf("fs%d (tid %s): umask %#o", p.name(kindFs, f.ID), users(kindFs, f.ID), f.Umask)}
			w.key(fmt.Sprint("fs ", p.name(kindFs, f.ID)), l.Text, &l.Differs)
			w.Others = append(w.Others, l)
		}
	}
	for _, in := range p.v.Inodes {
		l := &vLine{Text: fmt.Sprintf("file %q: size %d", in.Path, in.Size)}
		w.key("inode "+in.Path, l.Text, &l.Differs)
		w.Others = append(w.Others, l)
	}
}

// markDifferences sets Differs on every element whose text is not the same
// in every world that has a picture, or that some world lacks, and returns
// the elements' keys, sorted.
func markDifferences(ws []*vWorld) []string {
	var drawn []*vWorld
	for _, w := range ws {
		if w.texts != nil {
			drawn = append(drawn, w)
		}
	}
	if len(drawn) < 2 {
		return nil
	}
	var keys []string
	for _, w := range drawn {
		for k, text := range w.texts {
			for _, o := range drawn {
				if ot, ok := o.texts[k]; !ok || ot != text {
					*w.marks[k] = true
					keys = append(keys, k)
				}
			}
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}
