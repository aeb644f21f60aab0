package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/forkspec/forkspec/abi"
)

// picture is what explain shows of a View: the task tree and the address
// spaces with the frame behind every page. It is computed from the View
// alone, so every backend draws the same picture of the same state.
type picture struct {
	v abi.View
	// refs counts, for each frame, the pages (across all address spaces)
	// backed by it: the size of its class in the sharing partition.
	refs map[int]int
	// mmTasks lists, for each mm, the tids using it, ascending.
	mmTasks map[int][]int
}

func newPicture(v abi.View) *picture {
	p := &picture{v: v, refs: map[int]int{}, mmTasks: map[int][]int{}}
	for _, m := range v.Mms {
		for _, pg := range m.Pages {
			p.refs[pg.Frame]++
		}
	}
	for _, t := range v.Tasks { // sorted by tid, so each list is ascending
		if t.Mm != 0 {
			p.mmTasks[t.Mm] = append(p.mmTasks[t.Mm], t.Tid)
		}
	}
	return p
}

// pageMark says how a page shares its frame: "COW" for a private page whose
// frame other pages also hold (the next store to it copies, COW-2),
// "shared" for a MAP_SHARED page mapped elsewhere too (COW-4), else "".
func (p *picture) pageMark(m abi.MappingView, pg abi.PageView) string {
	switch {
	case p.refs[pg.Frame] < 2:
		return ""
	case m.Shared:
		return "shared"
	}
	return "COW"
}

// processes returns the thread groups' tgids as a forest: roots (no parent
// in the View) and each tgid's child processes, all ascending.
func (p *picture) processes() (roots []int, children map[int][]int, threads map[int][]abi.TaskView) {
	children, threads = map[int][]int{}, map[int][]abi.TaskView{}
	ppid := map[int]int{}
	for _, t := range p.v.Tasks {
		if _, seen := threads[t.Tgid]; !seen {
			ppid[t.Tgid] = t.Ppid
		}
		threads[t.Tgid] = append(threads[t.Tgid], t)
	}
	tgids := make([]int, 0, len(threads))
	for g := range threads {
		tgids = append(tgids, g)
	}
	slices.Sort(tgids)
	for _, g := range tgids {
		if _, ok := threads[ppid[g]]; ok && ppid[g] != g {
			children[ppid[g]] = append(children[ppid[g]], g)
		} else {
			roots = append(roots, g)
		}
	}
	return roots, children, threads
}

// writeText draws the picture as indented text.
func (p *picture) writeText(w io.Writer) {
	roots, children, threads := p.processes()
	procs := map[int]abi.ProcView{}
	for _, pr := range p.v.Procs {
		procs[pr.Tgid] = pr
	}
	fmt.Fprintln(w, "  tasks:")
	// shown guards against a parent cycle in a buggy backend's View: every
	// process is drawn once, and processes on a cycle are drawn as roots.
	shown := map[int]bool{}
	var walk func(g int, prefix, branch string)
	walk = func(g int, prefix, branch string) {
		if shown[g] {
			return
		}
		shown[g] = true
		ts := threads[g]
		lead := ts[0]
		line := fmt.Sprintf("%s%spid %d %s", prefix, branch, g, lead.Image)
		if pr, ok := procs[g]; ok {
			line += procText(pr)
		}
		fmt.Fprintln(w, "    "+line)
		inner := prefix + strings.Repeat(" ", len([]rune(branch)))
		kids := children[g]
		for i, t := range ts {
			more := i < len(ts)-1 || len(kids) > 0
			fmt.Fprintf(w, "    %s%s %s\n", inner, pipe(more), taskText(t))
		}
		for i, k := range kids {
			last := i == len(kids)-1
			b := "├─ "
			if last {
				b = "└─ "
			}
			walk(k, inner, b)
		}
	}
	for _, g := range roots {
		walk(g, "", "")
	}
	for _, t := range p.v.Tasks {
		walk(t.Tgid, "", "(parent cycle) ")
	}
	for _, m := range p.v.Mms {
		p.writeMm(w, m)
	}
	p.writeFiles(w)
}

func pipe(more bool) string {
	if more {
		return "│"
	}
	return " "
}

// taskText is one thread: tid, state, and the objects it uses.
func taskText(t abi.TaskView) string {
	s := fmt.Sprintf("tid %d %s", t.Tid, t.State)
	if t.State == abi.Zombie {
		s += " status=" + abi.FormatWaitStatus(t.WaitStatus)
	}
	if t.Mm != 0 {
		s += fmt.Sprintf("  mm%d fds%d sighand%d fs%d", t.Mm, t.FdTable, t.Sighand, t.Fs)
	}
	switch t.ExitSignal {
	case abi.SIGCHLD:
	case -1:
		s += "  thread"
	default:
		s += "  exit-signal=" + abi.SignalName(t.ExitSignal)
	}
	if t.Blocked != 0 {
		s += "  blocked=" + t.Blocked.String()
	}
	return s
}

// procText is the per-process state worth showing, or "".
func procText(pr abi.ProcView) string {
	var s string
	if pr.Subreaper {
		s += "  subreaper"
	}
	if pr.Pending != 0 {
		s += "  pending=" + pr.Pending.String()
	}
	for _, h := range pr.Handled {
		s += fmt.Sprintf("  handled %s×%d", abi.SignalName(h.Sig), h.Count)
	}
	return s
}

// protText is rwx notation for prot.
func protText(prot int64) string {
	b := []byte("---")
	if prot&abi.PROT_READ != 0 {
		b[0] = 'r'
	}
	if prot&abi.PROT_WRITE != 0 {
		b[1] = 'w'
	}
	if prot&abi.PROT_EXEC != 0 {
		b[2] = 'x'
	}
	return string(b)
}

func mappingText(m abi.MappingView) string {
	s := fmt.Sprintf("%#x-%#x %s ", m.Start, m.End, protText(m.Prot))
	if m.Shared {
		s += "shared"
	} else {
		s += "private"
	}
	if m.DontFork {
		s += " dontfork"
	}
	if m.WipeOnFork {
		s += " wipeonfork"
	}
	return s
}

// writeMm draws one address space: its mappings, and under each the pages
// that hold a frame with the frame's refcount and COW mark.
func (p *picture) writeMm(w io.Writer, m abi.MmView) {
	tids := make([]string, len(p.mmTasks[m.ID]))
	for i, t := range p.mmTasks[m.ID] {
		tids[i] = fmt.Sprint(t)
	}
	fmt.Fprintf(w, "  mm%d (tid %s):\n", m.ID, strings.Join(tids, ", "))
	if len(m.Mappings) == 0 {
		fmt.Fprintln(w, "    (no mappings)")
	}
	used := make([]bool, len(m.Pages))
	for _, mp := range m.Mappings {
		fmt.Fprintf(w, "    %s\n", mappingText(mp))
		for i, pg := range m.Pages {
			if pg.Addr < mp.Start || pg.Addr >= mp.End {
				continue
			}
			used[i] = true
			fmt.Fprintf(w, "      %s\n", p.pageText(pg, p.pageMark(mp, pg)))
		}
	}
	for i, pg := range m.Pages {
		if !used[i] {
			fmt.Fprintf(w, "      %s  (outside every mapping)\n", p.pageText(pg, ""))
		}
	}
}

func (p *picture) pageText(pg abi.PageView, mark string) string {
	s := fmt.Sprintf("%#x = %-6s frame %d refs %d", pg.Addr, fmt.Sprintf("%#x", pg.Value), pg.Frame, p.refs[pg.Frame])
	if mark != "" {
		s += "  " + mark
	}
	return s
}

// writeFiles draws fd tables, open files, non-default dispositions and
// umasks, when there are any.
func (p *picture) writeFiles(w io.Writer) {
	for _, t := range p.v.FdTables {
		if len(t.Fds) == 0 {
			continue
		}
		var fds []string
		for _, f := range t.Fds {
			s := fmt.Sprintf("%d→file%d", f.Fd, f.File)
			if f.Cloexec {
				s += " cloexec"
			}
			fds = append(fds, s)
		}
		fmt.Fprintf(w, "  fds%d: %s\n", t.ID, strings.Join(fds, ", "))
	}
	for _, f := range p.v.Files {
		fmt.Fprintf(w, "  file%d: %q offset %d\n", f.ID, f.Path, f.Offset)
	}
	for _, s := range p.v.Sighands {
		if len(s.Actions) == 0 {
			continue
		}
		var as []string
		for _, a := range s.Actions {
			// The sigaction step's text without the name: SIG HANDLER FLAGS.
			t := strings.TrimPrefix(abi.Sigaction(a).String(), "sigaction ")
			as = append(as, strings.TrimSuffix(t, " 0"))
		}
		fmt.Fprintf(w, "  sighand%d: %s\n", s.ID, strings.Join(as, ", "))
	}
	for _, f := range p.v.Fss {
		if f.Umask != abi.DefaultUmask {
			fmt.Fprintf(w, "  fs%d: umask %#o\n", f.ID, f.Umask)
		}
	}
}

// writeDot draws the picture as one Graphviz digraph: processes nested by
// parenthood, each task pointing at its mm, each mm's pages pointing at
// their frames; COW pages' edges are red, shared ones blue.
func (p *picture) writeDot(w io.Writer, title string) {
	fmt.Fprintf(w, "digraph %q {\n", title)
	fmt.Fprintf(w, "  label=%q; labelloc=t; rankdir=LR;\n", title)
	fmt.Fprintln(w, `  node [shape=box, fontname="monospace", fontsize=10];`)
	_, children, _ := p.processes()
	for _, t := range p.v.Tasks {
		style := ""
		switch t.State {
		case abi.Zombie:
			style = ", style=dashed"
		case abi.VforkFrozen:
			style = ", style=filled, fillcolor=lightblue"
		}
		fmt.Fprintf(w, "  t%d [label=%q%s];\n", t.Tid, taskText(t), style)
		if t.Tid != t.Tgid {
			fmt.Fprintf(w, "  t%d -> t%d [style=dotted, label=\"thread of\"];\n", t.Tid, t.Tgid)
		}
		if t.Mm != 0 {
			fmt.Fprintf(w, "  t%d -> mm%d;\n", t.Tid, t.Mm)
		}
	}
	parents := make([]int, 0, len(children))
	for g := range children {
		parents = append(parents, g)
	}
	slices.Sort(parents)
	for _, g := range parents {
		for _, k := range children[g] {
			fmt.Fprintf(w, "  t%d -> t%d [label=\"child\"];\n", g, k)
		}
	}
	frames := map[int]bool{}
	for _, m := range p.v.Mms {
		fmt.Fprintf(w, "  subgraph cluster_mm%d {\n    label=\"mm%d\";\n    mm%d [shape=point];\n", m.ID, m.ID, m.ID)
		for _, mp := range m.Mappings {
			id := fmt.Sprintf("mm%d_%x", m.ID, mp.Start)
			fmt.Fprintf(w, "    %s [label=%q, shape=folder];\n    mm%d -> %s;\n", id, mappingText(mp), m.ID, id)
			for _, pg := range m.Pages {
				if pg.Addr < mp.Start || pg.Addr >= mp.End {
					continue
				}
				pid := fmt.Sprintf("mm%d_p%x", m.ID, pg.Addr)
				fmt.Fprintf(w, "    %s [label=%q];\n    %s -> %s;\n", pid, fmt.Sprintf("%#x = %#x", pg.Addr, pg.Value), id, pid)
			}
		}
		fmt.Fprintln(w, "  }")
		for _, mp := range m.Mappings {
			for _, pg := range m.Pages {
				if pg.Addr < mp.Start || pg.Addr >= mp.End {
					continue
				}
				color := ""
				switch p.pageMark(mp, pg) {
				case "COW":
					color = " [color=red, label=COW]"
				case "shared":
					color = " [color=blue]"
				}
				frames[pg.Frame] = true
				fmt.Fprintf(w, "  mm%d_p%x -> f%d%s;\n", m.ID, pg.Addr, pg.Frame, color)
			}
		}
	}
	ids := make([]int, 0, len(frames))
	for f := range frames {
		ids = append(ids, f)
	}
	slices.SortFunc(ids, cmp.Compare[int])
	for _, f := range ids {
		fmt.Fprintf(w, "  f%d [shape=ellipse, label=\"frame %d\\nrefs %d\"];\n", f, f, p.refs[f])
	}
	fmt.Fprintln(w, "}")
}
