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
// spaces with the frame behind every page. It is computed from the View and
// the stable names of its identities, so every backend draws the same
// picture of the same state.
type picture struct {
	v abi.View
	// n names v's identities; nil shows them as the View numbers them.
	n *stableNames
	// refs counts, for each frame, the pages (across all address spaces)
	// backed by it: the size of its class in the sharing partition.
	refs map[int]int
	// mmTasks lists, for each mm, the tids using it, ascending.
	mmTasks map[int][]int
}

// newPicture is the picture of v with its canonical numbers as names.
func newPicture(v abi.View) *picture { return newNamedPicture(v, nil) }

// newNamedPicture is the picture of v with its identities named by n.
func newNamedPicture(v abi.View, n *stableNames) *picture {
	p := &picture{v: v, n: n, refs: map[int]int{}, mmTasks: map[int][]int{}}
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

// name is the stable name of identity id of kind k.
func (p *picture) name(k objKind, id int) int { return p.n.name(k, id) }

// byName returns objs sorted by the stable names of their identities (of
// kind k), so that objects keep their places from step to step.
func byName[T any](p *picture, k objKind, objs []T, id func(T) int) []T {
	out := slices.Clone(objs)
	slices.SortStableFunc(out, func(a, b T) int { return cmp.Compare(p.name(k, id(a)), p.name(k, id(b))) })
	return out
}

// mms returns the address spaces in stable-name order.
func (p *picture) mms() []abi.MmView {
	return byName(p, kindMm, p.v.Mms, func(m abi.MmView) int { return m.ID })
}

// framesNote is the caption when frame numbers hold for this step only.
func (p *picture) framesNote() string {
	if p.n == nil || p.n.framesPerStep == "" {
		return ""
	}
	return "frame numbers hold for this step only: " + p.n.framesPerStep
}

// writeText draws the picture as indented text.
func (p *picture) writeText(w io.Writer) {
	if note := p.framesNote(); note != "" {
		fmt.Fprintf(w, "  (%s)\n", note)
	}
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
			fmt.Fprintf(w, "    %s%s %s\n", inner, pipe(more), p.taskText(t))
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
	for _, m := range p.mms() {
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
func (p *picture) taskText(t abi.TaskView) string {
	s := fmt.Sprintf("tid %d %s", t.Tid, t.State)
	if t.State == abi.Zombie {
		s += " status=" + abi.FormatWaitStatus(t.WaitStatus)
	}
	if t.Mm != 0 {
		s += fmt.Sprintf("  mm%d fds%d sighand%d fs%d", p.name(kindMm, t.Mm), p.name(kindFds, t.FdTable),
			p.name(kindSighand, t.Sighand), p.name(kindFs, t.Fs))
	}
	if e := exitSignalText(t); e != "" {
		s += "  " + e
	}
	if t.Blocked != 0 {
		s += "  blocked=" + t.Blocked.String()
	}
	return s
}

// exitSignalText is "" for the usual SIGCHLD, "thread" for a thread, else
// the signal the parent gets when the process ends.
func exitSignalText(t abi.TaskView) string {
	switch t.ExitSignal {
	case abi.SIGCHLD:
		return ""
	case -1:
		return "thread"
	}
	return "exit-signal=" + abi.SignalName(t.ExitSignal)
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
	return fmt.Sprintf("%#x-%#x %s %s", m.Start, m.End, protText(m.Prot), mappingKind(m))
}

// mappingKind is "private" or "shared", with the madvise flags.
func mappingKind(m abi.MappingView) string {
	s := "private"
	if m.Shared {
		s = "shared"
	}
	if m.DontFork {
		s += " dontfork"
	}
	if m.WipeOnFork {
		s += " wipeonfork"
	}
	return s
}

// tidList is "1, 3" for the tids using mm id.
func (p *picture) tidList(id int) string {
	tids := make([]string, len(p.mmTasks[id]))
	for i, t := range p.mmTasks[id] {
		tids[i] = fmt.Sprint(t)
	}
	return strings.Join(tids, ", ")
}

// pagesIn returns the pages of m inside mapping mp, in address order.
func pagesIn(m abi.MmView, mp abi.MappingView) []abi.PageView {
	var out []abi.PageView
	for _, pg := range m.Pages {
		if pg.Addr >= mp.Start && pg.Addr < mp.End {
			out = append(out, pg)
		}
	}
	return out
}

// strayPages returns the pages of m outside every mapping (a backend bug
// the picture still shows).
func strayPages(m abi.MmView) []abi.PageView {
	var out []abi.PageView
	for _, pg := range m.Pages {
		inside := false
		for _, mp := range m.Mappings {
			inside = inside || pg.Addr >= mp.Start && pg.Addr < mp.End
		}
		if !inside {
			out = append(out, pg)
		}
	}
	return out
}

// writeMm draws one address space: its mappings, and under each the pages
// that hold a frame with the frame's refcount and COW mark.
func (p *picture) writeMm(w io.Writer, m abi.MmView) {
	fmt.Fprintf(w, "  mm%d (tid %s):\n", p.name(kindMm, m.ID), p.tidList(m.ID))
	if len(m.Mappings) == 0 {
		fmt.Fprintln(w, "    (no mappings)")
	}
	for _, mp := range m.Mappings {
		fmt.Fprintf(w, "    %s\n", mappingText(mp))
		for _, pg := range pagesIn(m, mp) {
			fmt.Fprintf(w, "      %s\n", p.pageText(pg, p.pageMark(mp, pg)))
		}
	}
	for _, pg := range strayPages(m) {
		fmt.Fprintf(w, "      %s  (outside every mapping)\n", p.pageText(pg, ""))
	}
}

// isNew reports whether the frame behind pg appeared at this step.
func (p *picture) isNew(pg abi.PageView) bool {
	return p.n != nil && p.n.newFrames[p.name(kindFrame, pg.Frame)]
}

func (p *picture) pageText(pg abi.PageView, mark string) string {
	s := fmt.Sprintf("%#x = %-6s frame %d refs %d", pg.Addr, fmt.Sprintf("%#x", pg.Value), p.name(kindFrame, pg.Frame), p.refs[pg.Frame])
	if mark != "" {
		s += "  " + mark
	}
	if p.isNew(pg) {
		s += "  new"
	}
	return s
}

// fdText is one fd: its number, its open file and the close-on-exec flag.
func (p *picture) fdText(f abi.FdView) string {
	s := fmt.Sprintf("%d→file%d", f.Fd, p.name(kindFile, f.File))
	if f.Cloexec {
		s += " cloexec"
	}
	return s
}

// actionText is a disposition in the sigaction step's syntax without the
// name: SIG HANDLER [FLAGS].
func actionText(a abi.ActionView) string {
	t := strings.TrimPrefix(abi.Sigaction{Sig: a.Sig, Handler: a.Handler, Flags: a.Flags}.String(), "sigaction ")
	return strings.TrimSuffix(t, " 0")
}

// writeFiles draws fd tables, open files, non-default dispositions and
// umasks, when there are any.
func (p *picture) writeFiles(w io.Writer) {
	for _, t := range byName(p, kindFds, p.v.FdTables, func(t abi.FdTableView) int { return t.ID }) {
		if len(t.Fds) == 0 {
			continue
		}
		var fds []string
		for _, f := range t.Fds {
			fds = append(fds, p.fdText(f))
		}
		fmt.Fprintf(w, "  fds%d: %s\n", p.name(kindFds, t.ID), strings.Join(fds, ", "))
	}
	for _, f := range byName(p, kindFile, p.v.Files, func(f abi.FileView) int { return f.ID }) {
		fmt.Fprintf(w, "  file%d: %q offset %d\n", p.name(kindFile, f.ID), f.Path, f.Offset)
	}
	for _, s := range byName(p, kindSighand, p.v.Sighands, func(s abi.SighandView) int { return s.ID }) {
		if len(s.Actions) == 0 {
			continue
		}
		var as []string
		for _, a := range s.Actions {
			as = append(as, actionText(a))
		}
		fmt.Fprintf(w, "  sighand%d: %s\n", p.name(kindSighand, s.ID), strings.Join(as, ", "))
	}
	for _, f := range byName(p, kindFs, p.v.Fss, func(f abi.FsView) int { return f.ID }) {
		if f.Umask != abi.DefaultUmask {
			fmt.Fprintf(w, "  fs%d: umask %#o\n", p.name(kindFs, f.ID), f.Umask)
		}
	}
}
