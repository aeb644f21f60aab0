package traces

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/forkspec/forkspec/abi"
)

// Assertion is one `# expect: …` line of a trace: a check on the View after
// the steps above it, on every backend the trace runs on (README.md,
// "Assertions"). The forms:
//
//	state T running|vfork-frozen|zombie|gone
//	group G: T1 T2 …          the tasks whose tgid is G are exactly these
//	ppid T P                  View.Ppid of task T
//	exitsignal T SIG          SIG may be 0 or -1
//	pending T SET             the pending set of T's process (0 for none)
//	blocked T SET             T's signal mask
//	handled T SIG N           handler runs for SIG in T's process
//	handled-by T SIG N        handler runs for SIG by thread T itself
//	action T SIG DISP [FLAGS] T's disposition for SIG (SIG_DFL, SIG_IGN, handler)
//	same KIND T U             KIND is mm, fdtable, sighand or fs
//	differ KIND T U
//	frame T:ADDR == U:ADDR    both pages hold a data frame, the same one
//	frame T:ADDR != U:ADDR    both hold a data frame, different ones
//	frame T:ADDR none         the page holds no data frame (COW-7)
//	frame T:ADDR alone        it holds one that no other mm's page holds
//	frame T:ADDR kept         its frame is the one it had before the last step
//	frames N                  N distinct data frames in the whole world
//
// `kept` compares frame identities across a step, which a canonical View
// cannot show; it needs a backend that is an abi.FrameNamer (see Asserter).
type Assertion struct {
	// Line is the assertion's 1-based line in its source; 0 when built in code.
	Line int
	// After is the number of steps above the assertion: it holds on the
	// View after step After (1-based), or on the initial state when 0.
	// Invariant: 0 <= After <= len(Trace.Steps).
	After int
	// Text is the assertion as written after "# expect:", trimmed.
	Text string

	kind        string // the first word
	tid, tid2   int
	addr, addr2 uint64
	op          string // frame: "==", "!=", "none", "alone", "kept"; same/differ: the kind of object
	state       string
	tids        []int
	n           int
	sig         int
	set         abi.SigSet
	disp        abi.Disposition
	flags       uint64
	result      abi.Result // returned
	call        string     // sleeps: the call in canonical syntax
}

// expectPrefix starts an assertion's comment text.
const expectPrefix = "expect:"

// FrameRef is a frame identity from an abi.FrameNamer: OK is false when
// the page holds no data frame.
type FrameRef struct {
	ID uint64
	OK bool
}

// ParseAssertion reads the text after "# expect:". The error says what is
// wrong without a position (Parse adds it).
func ParseAssertion(text string) (Assertion, error) {
	text = strings.TrimSpace(text)
	a := Assertion{Text: text}
	f := strings.Fields(text)
	if len(f) == 0 {
		return a, fmt.Errorf("empty assertion")
	}
	a.kind = f[0]
	args := f[1:]
	want := func(n int, form string) error {
		if len(args) != n {
			return fmt.Errorf("want %q", form)
		}
		return nil
	}
	var err error
	switch a.kind {
	case "state":
		if err := want(2, "state T running|vfork-frozen|blocked|zombie|gone"); err != nil {
			return a, err
		}
		a.state = args[1]
		if !slices.Contains([]string{"running", "vfork-frozen", "blocked", "zombie", "gone"}, a.state) {
			return a, fmt.Errorf("unknown state %q (want running, vfork-frozen, blocked, zombie or gone)", a.state)
		}
		a.tid, err = parseTid(args[0])
	case "group":
		if len(args) < 2 || !strings.HasSuffix(args[0], ":") {
			return a, fmt.Errorf("want \"group G: T1 T2 ...\"")
		}
		if a.tid, err = parseTid(strings.TrimSuffix(args[0], ":")); err != nil {
			return a, err
		}
		for _, s := range args[1:] {
			t, err := parseTid(s)
			if err != nil {
				return a, err
			}
			a.tids = append(a.tids, t)
		}
		slices.Sort(a.tids)
	case "ppid":
		if err := want(2, "ppid T P"); err != nil {
			return a, err
		}
		if a.tid, err = parseTid(args[0]); err != nil {
			return a, err
		}
		a.n, err = strconv.Atoi(args[1])
	case "exitsignal":
		if err := want(2, "exitsignal T SIG"); err != nil {
			return a, err
		}
		if a.tid, err = parseTid(args[0]); err != nil {
			return a, err
		}
		a.sig, err = parseSignal(args[1], true)
	case "returned":
		if len(args) < 2 {
			return a, fmt.Errorf("want \"returned T RESULT\"")
		}
		if a.tid, err = parseTid(args[0]); err != nil {
			return a, err
		}
		a.result, err = abi.ParseResult(strings.Join(args[1:], " "))
	case "sleeps":
		if len(args) < 2 {
			return a, fmt.Errorf("want \"sleeps T CALL\"")
		}
		if a.tid, err = parseTid(args[0]); err != nil {
			return a, err
		}
		sc, perr := abi.ParseSyscall(strings.Join(args[1:], " "))
		if perr != nil {
			return a, perr
		}
		a.call = sc.String()
	case "pipe", "pipebytes":
		form := "pipe T RFD WFD"
		if a.kind == "pipebytes" {
			form = "pipebytes T FD N"
		}
		if err := want(3, form); err != nil {
			return a, err
		}
		if a.tid, err = parseTid(args[0]); err != nil {
			return a, err
		}
		if a.n, err = strconv.Atoi(args[1]); err != nil {
			return a, err
		}
		var m int
		m, err = strconv.Atoi(args[2])
		a.addr = uint64(m)
	case "pending", "blocked", "thread-pending":
		if err := want(2, a.kind+" T SET"); err != nil {
			return a, err
		}
		if a.tid, err = parseTid(args[0]); err != nil {
			return a, err
		}
		a.set, err = parseSigSet(args[1])
	case "handled", "handled-by":
		if err := want(3, a.kind+" T SIG N"); err != nil {
			return a, err
		}
		if a.tid, err = parseTid(args[0]); err != nil {
			return a, err
		}
		if a.sig, err = parseSignal(args[1], false); err != nil {
			return a, err
		}
		if a.n, err = strconv.Atoi(args[2]); err != nil || a.n < 0 {
			return a, fmt.Errorf("handled count must be a number >= 0, got %q", args[2])
		}
	case "action":
		if len(args) != 3 && len(args) != 4 {
			return a, fmt.Errorf("want \"action T SIG SIG_DFL|SIG_IGN|handler [FLAGS]\"")
		}
		if a.tid, err = parseTid(args[0]); err != nil {
			return a, err
		}
		if a.sig, err = parseSignal(args[1], false); err != nil {
			return a, err
		}
		if a.disp, err = parseDisposition(args[2]); err != nil {
			return a, err
		}
		if len(args) == 4 {
			a.flags, err = parseSAFlags(args[3])
		}
	case "same", "differ":
		if err := want(3, a.kind+" mm|fdtable|sighand|fs T U"); err != nil {
			return a, err
		}
		a.op = args[0]
		if !slices.Contains([]string{"mm", "fdtable", "sighand", "fs"}, a.op) {
			return a, fmt.Errorf("unknown object %q (want mm, fdtable, sighand or fs)", a.op)
		}
		if a.tid, err = parseTid(args[1]); err != nil {
			return a, err
		}
		a.tid2, err = parseTid(args[2])
	case "frame":
		switch {
		case len(args) == 3 && (args[1] == "==" || args[1] == "!="):
			a.op = args[1]
			if a.tid, a.addr, err = parsePage(args[0]); err != nil {
				return a, err
			}
			a.tid2, a.addr2, err = parsePage(args[2])
		case len(args) == 2 && slices.Contains([]string{"none", "alone", "kept"}, args[1]):
			a.op = args[1]
			a.tid, a.addr, err = parsePage(args[0])
		default:
			return a, fmt.Errorf("want \"frame T:ADDR ==|!= U:ADDR\" or \"frame T:ADDR none|alone|kept\"")
		}
	case "frames":
		if err := want(1, "frames N"); err != nil {
			return a, err
		}
		if a.n, err = strconv.Atoi(args[0]); err != nil || a.n < 0 {
			return a, fmt.Errorf("frame count must be a number >= 0, got %q", args[0])
		}
	default:
		return a, fmt.Errorf("unknown assertion %q (want state, group, ppid, exitsignal, pending, thread-pending, blocked, handled, handled-by, action, same, differ, frame, frames, sleeps, returned, pipe or pipebytes)", a.kind)
	}
	return a, err
}

// NeedsFrameIDs reports whether checking a needs its page's frame identity
// before and after the last step (abi.FrameNamer): true for `kept`.
func (a Assertion) NeedsFrameIDs() bool { return a.kind == "frame" && a.op == "kept" }

// Page is the page whose frame identity a `kept` assertion compares.
func (a Assertion) Page() (tid int, addr uint64) { return a.tid, a.addr }

// Check verifies a on v. before and now are the frame identities of a's
// page before and after the last step, for `kept` (ignored otherwise). It
// returns a readable mismatch, or nil when a holds.
func (a Assertion) Check(v abi.View, before, now FrameRef) error {
	haveBefore, haveNow := before.OK, now.OK
	task := func(tid int) (abi.TaskView, bool) {
		i, ok := slices.BinarySearchFunc(v.Tasks, tid, func(t abi.TaskView, tid int) int { return t.Tid - tid })
		if !ok {
			return abi.TaskView{}, false
		}
		return v.Tasks[i], true
	}
	live := func(tid int) (abi.TaskView, error) {
		t, ok := task(tid)
		if !ok {
			return t, fmt.Errorf("task %d does not exist", tid)
		}
		return t, nil
	}
	switch a.kind {
	case "state":
		t, ok := task(a.tid)
		got := "gone"
		if ok {
			got = t.State.String()
		}
		if got != a.state {
			return fmt.Errorf("task %d is %s", a.tid, got)
		}
	case "group":
		var got []int
		for _, t := range v.Tasks {
			if t.Tgid == a.tid {
				got = append(got, t.Tid)
			}
		}
		if !slices.Equal(got, a.tids) {
			return fmt.Errorf("group %d has tasks %v", a.tid, got)
		}
	case "ppid":
		t, err := live(a.tid)
		if err != nil {
			return err
		}
		if t.Ppid != a.n {
			return fmt.Errorf("task %d has ppid %d", a.tid, t.Ppid)
		}
	case "exitsignal":
		t, err := live(a.tid)
		if err != nil {
			return err
		}
		if t.ExitSignal != a.sig {
			return fmt.Errorf("task %d has exit signal %s", a.tid, signalText(t.ExitSignal))
		}
	case "pending", "handled":
		t, err := live(a.tid)
		if err != nil {
			return err
		}
		var p abi.ProcView
		i, ok := slices.BinarySearchFunc(v.Procs, t.Tgid, func(p abi.ProcView, g int) int { return p.Tgid - g })
		if ok {
			p = v.Procs[i]
		}
		if a.kind == "pending" {
			if p.Pending != a.set {
				return fmt.Errorf("process %d has pending %v", t.Tgid, p.Pending)
			}
			return nil
		}
		n := 0
		for _, c := range p.Handled {
			if c.Sig == a.sig {
				n = c.Count
			}
		}
		if n != a.n {
			return fmt.Errorf("process %d handled %s %d times", t.Tgid, abi.SignalName(a.sig), n)
		}
	case "handled-by":
		t, err := live(a.tid)
		if err != nil {
			return err
		}
		n := 0
		for _, c := range t.Handled {
			if c.Sig == a.sig {
				n = c.Count
			}
		}
		if n != a.n {
			return fmt.Errorf("thread %d ran the %s handler %d times", a.tid, abi.SignalName(a.sig), n)
		}
	case "blocked":
		t, err := live(a.tid)
		if err != nil {
			return err
		}
		if t.Blocked != a.set {
			return fmt.Errorf("task %d blocks %v", a.tid, t.Blocked)
		}
	case "thread-pending":
		t, err := live(a.tid)
		if err != nil {
			return err
		}
		if t.Pending != a.set {
			return fmt.Errorf("thread %d has pending %v", a.tid, t.Pending)
		}
	case "sleeps":
		t, err := live(a.tid)
		if err != nil {
			return err
		}
		if t.State != abi.Blocked || t.Call != a.call {
			return fmt.Errorf("task %d is %v in %q", a.tid, t.State, t.Call)
		}
	case "returned":
		t, err := live(a.tid)
		if err != nil {
			return err
		}
		if !t.Returned {
			return fmt.Errorf("task %d has no finished sleep to report (state %v, call %q)", a.tid, t.State, t.Call)
		}
		if t.Return != a.result {
			return fmt.Errorf("task %d's %s returned %v", a.tid, t.Call, t.Return)
		}
	case "pipe", "pipebytes":
		t, err := live(a.tid)
		if err != nil {
			return err
		}
		file := func(fd int) (abi.FileView, bool) {
			for _, ft := range v.FdTables {
				if ft.ID != t.FdTable {
					continue
				}
				for _, f := range ft.Fds {
					if f.Fd == fd {
						for _, fv := range v.Files {
							if fv.ID == f.File {
								return fv, true
							}
						}
					}
				}
			}
			return abi.FileView{}, false
		}
		r, ok := file(a.n)
		if !ok || r.Pipe == 0 {
			return fmt.Errorf("fd %d of task %d is not a pipe's end", a.n, a.tid)
		}
		if a.kind == "pipebytes" {
			for _, p := range v.Pipes {
				if p.ID == r.Pipe && p.Bytes != int64(a.addr) {
					return fmt.Errorf("the pipe at fd %d of task %d holds %d bytes", a.n, a.tid, p.Bytes)
				}
			}
			return nil
		}
		w, ok := file(int(a.addr))
		if r.WriteEnd || !ok || !w.WriteEnd || w.Pipe != r.Pipe {
			return fmt.Errorf("fds %d and %d of task %d are not the read and write ends of one pipe", a.n, a.addr, a.tid)
		}
	case "action":
		t, err := live(a.tid)
		if err != nil {
			return err
		}
		if t.Sighand == 0 {
			return fmt.Errorf("task %d has no disposition table (zombie)", a.tid)
		}
		got := abi.ActionView{Sig: a.sig}
		for _, s := range v.Sighands {
			if s.ID != t.Sighand {
				continue
			}
			for _, act := range s.Actions {
				if act.Sig == a.sig {
					got = act
				}
			}
		}
		if got.Handler != a.disp || got.Flags != a.flags {
			return fmt.Errorf("task %d has %s for %s", a.tid, actionText(got), abi.SignalName(a.sig))
		}
	case "same", "differ":
		t, err := live(a.tid)
		if err != nil {
			return err
		}
		u, err := live(a.tid2)
		if err != nil {
			return err
		}
		x, y := objectID(t, a.op), objectID(u, a.op)
		if x == 0 || y == 0 {
			return fmt.Errorf("task %d or %d holds no %s (zombie)", a.tid, a.tid2, a.op)
		}
		if (x == y) != (a.kind == "same") {
			return fmt.Errorf("task %d has %s #%d, task %d has %s #%d", a.tid, a.op, x, a.tid2, a.op, y)
		}
	case "frame":
		f, ok, err := frameOf(v, a.tid, a.addr)
		if err != nil {
			return err
		}
		switch a.op {
		case "none":
			if ok {
				return fmt.Errorf("%d:%#x holds frame #%d", a.tid, a.addr, f)
			}
		case "alone":
			if !ok {
				return fmt.Errorf("%d:%#x holds no frame", a.tid, a.addr)
			}
			if n := frameUsers(v, f); n != 1 {
				return fmt.Errorf("%d:%#x holds frame #%d, which %d pages share", a.tid, a.addr, f, n)
			}
		case "kept":
			switch {
			case !ok:
				return fmt.Errorf("%d:%#x holds no frame", a.tid, a.addr)
			case !haveBefore:
				return fmt.Errorf("%d:%#x held no frame before the last step", a.tid, a.addr)
			case !haveNow:
				return fmt.Errorf("%d:%#x: the backend names no frame for it", a.tid, a.addr)
			case before.ID != now.ID:
				return fmt.Errorf("%d:%#x changed frame (%#x before the last step, %#x now)", a.tid, a.addr, before.ID, now.ID)
			}
		case "==", "!=":
			g, ok2, err := frameOf(v, a.tid2, a.addr2)
			if err != nil {
				return err
			}
			if !ok || !ok2 {
				return fmt.Errorf("%d:%#x frame %s, %d:%#x frame %s", a.tid, a.addr, frameText(f, ok), a.tid2, a.addr2, frameText(g, ok2))
			}
			if (f == g) != (a.op == "==") {
				return fmt.Errorf("%d:%#x holds frame #%d, %d:%#x holds frame #%d", a.tid, a.addr, f, a.tid2, a.addr2, g)
			}
		}
	case "frames":
		seen := map[int]bool{}
		for _, m := range v.Mms {
			for _, p := range m.Pages {
				seen[p.Frame] = true
			}
		}
		if len(seen) != a.n {
			return fmt.Errorf("the world holds %d frames", len(seen))
		}
	}
	return nil
}

// frameOf is the canonical frame of the page holding addr in task tid's mm;
// ok is false when the page holds no data frame. A missing task or one
// without an mm is an error.
func frameOf(v abi.View, tid int, addr uint64) (frame int, ok bool, err error) {
	var mm int
	found := false
	for _, t := range v.Tasks {
		if t.Tid == tid {
			mm, found = t.Mm, true
		}
	}
	if !found {
		return 0, false, fmt.Errorf("task %d does not exist", tid)
	}
	if mm == 0 {
		return 0, false, fmt.Errorf("task %d has no address space (zombie)", tid)
	}
	page := addr &^ (abi.PageSize - 1)
	for _, m := range v.Mms {
		if m.ID != mm {
			continue
		}
		for _, p := range m.Pages {
			if p.Addr == page {
				return p.Frame, true, nil
			}
		}
	}
	return 0, false, nil
}

// frameUsers counts the (mm, page) pairs backed by frame f.
func frameUsers(v abi.View, f int) int {
	n := 0
	for _, m := range v.Mms {
		for _, p := range m.Pages {
			if p.Frame == f {
				n++
			}
		}
	}
	return n
}

func frameText(f int, ok bool) string {
	if !ok {
		return "none"
	}
	return "#" + strconv.Itoa(f)
}

func objectID(t abi.TaskView, kind string) int {
	switch kind {
	case "mm":
		return t.Mm
	case "fdtable":
		return t.FdTable
	case "sighand":
		return t.Sighand
	}
	return t.Fs
}

func actionText(a abi.ActionView) string {
	if a.Flags == 0 {
		return a.Handler.String()
	}
	return fmt.Sprintf("%v %s", a.Handler, saFlagsText(a.Flags))
}

func signalText(sig int) string {
	if sig <= 0 {
		return strconv.Itoa(sig)
	}
	return abi.SignalName(sig)
}

func parseTid(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("want a task id, got %q", s)
	}
	return n, nil
}

// parsePage reads T:ADDR.
func parsePage(s string) (int, uint64, error) {
	t, a, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, fmt.Errorf("want T:ADDR, got %q", s)
	}
	tid, err := parseTid(t)
	if err != nil {
		return 0, 0, err
	}
	addr, err := strconv.ParseUint(a, 0, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("want an address, got %q", a)
	}
	return tid, addr, nil
}

// signalNumbers maps every name abi.SignalName prints back to its number.
var signalNumbers = func() map[string]int {
	m := map[string]int{}
	for sig := 1; sig <= abi.NSIG; sig++ {
		m[abi.SignalName(sig)] = sig
	}
	return m
}()

// parseSignal reads a signal name or number; with special, 0 and -1 (no
// signal; a thread's exit signal) are accepted too.
func parseSignal(s string, special bool) (int, error) {
	if n, ok := signalNumbers[s]; ok {
		return n, nil
	}
	n, err := strconv.Atoi(s)
	switch {
	case err != nil:
		return 0, fmt.Errorf("unknown signal %q", s)
	case special && (n == 0 || n == -1):
		return n, nil
	case n < 1 || n > abi.NSIG:
		return 0, fmt.Errorf("signal %d out of range", n)
	}
	return n, nil
}

// parseSigSet reads 0 or SIGA|SIGB.
func parseSigSet(s string) (abi.SigSet, error) {
	if s == "0" {
		return 0, nil
	}
	var set abi.SigSet
	for _, part := range strings.Split(s, "|") {
		sig, err := parseSignal(part, false)
		if err != nil {
			return 0, err
		}
		set |= abi.SigBit(sig)
	}
	return set, nil
}

func parseDisposition(s string) (abi.Disposition, error) {
	for _, d := range []abi.Disposition{abi.SigDefault, abi.SigIgnore, abi.SigHandle} {
		if d.String() == s {
			return d, nil
		}
	}
	return 0, fmt.Errorf("unknown disposition %q (want SIG_DFL, SIG_IGN or handler)", s)
}

// saNames are the sigaction flags an action assertion may name.
var saNames = []struct {
	name string
	val  uint64
}{
	{"SA_NOCLDSTOP", abi.SA_NOCLDSTOP}, {"SA_NOCLDWAIT", abi.SA_NOCLDWAIT}, {"SA_SIGINFO", abi.SA_SIGINFO},
	{"SA_RESTART", abi.SA_RESTART}, {"SA_NODEFER", abi.SA_NODEFER}, {"SA_RESETHAND", abi.SA_RESETHAND},
}

func parseSAFlags(s string) (uint64, error) {
	if s == "0" {
		return 0, nil
	}
	var v uint64
	for _, part := range strings.Split(s, "|") {
		found := false
		for _, n := range saNames {
			if n.name == part {
				v |= n.val
				found = true
			}
		}
		if !found {
			x, err := strconv.ParseUint(part, 0, 64)
			if err != nil {
				return 0, fmt.Errorf("unknown sigaction flag %q", part)
			}
			v |= x
		}
	}
	return v, nil
}

func saFlagsText(v uint64) string {
	var parts []string
	for _, n := range saNames {
		if v&n.val != 0 {
			parts = append(parts, n.name)
			v &^= n.val
		}
	}
	if v != 0 {
		parts = append(parts, fmt.Sprintf("%#x", v))
	}
	return strings.Join(parts, "|")
}
