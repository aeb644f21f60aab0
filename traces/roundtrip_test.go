package traces

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"
)

// commentGen draws comment text as Parse can return it: no newline, no
// trailing blanks, and (for Before, Tail and header lines) not an option.
var commentGen = rapid.Custom(func(t *rapid.T) string {
	s := rapid.OneOf(
		rapid.SampledFrom([]string{"", "COW-1: the child shares the frame", "  indented", "# nested", "-> not a step", `"quoted"`}),
		rapid.StringMatching(`[ -~]{0,30}`),
	).Draw(t, "comment")
	s = strings.TrimRight(s, " \t")
	if strings.HasPrefix(s, optionPrefix) {
		s = "x" + s
	}
	return s
})

var commentsGen = rapid.Custom(func(t *rapid.T) []string {
	cs := rapid.SliceOfN(commentGen, 0, 3).Draw(t, "comments")
	if len(cs) == 0 {
		return nil
	}
	return cs
})

// callGen draws syscalls of many shapes, including quoted words.
var callGen = rapid.Custom(func(t *rapid.T) abi.Syscall {
	n := rapid.Uint64Range(0, 1<<48).Draw(t, "n")
	i := rapid.IntRange(-3, 70).Draw(t, "i")
	w := rapid.SampledFrom([]string{"sh", "a b", "#x", "->", "", "é"}).Draw(t, "word")
	return rapid.SampledFrom([]abi.Syscall{
		abi.Fork{}, abi.Vfork{}, abi.Getpid{}, abi.Clone{Flags: n}, abi.Clone3{Flags: n, ExitSignal: uint64(i & 0xff)},
		abi.Execve{Image: w}, abi.Exit{Code: i}, abi.Wait4{Pid: i, Options: int64(n)},
		abi.Mmap{Addr: n, Len: 0x2000, Prot: 3, Flags: 0x22}, abi.Store{Addr: n, Value: uint64(i)},
		abi.Open{Path: w, Flags: abi.O_CLOEXEC}, abi.Kill{Pid: i, Sig: i}, abi.Umask{Mask: int64(i)},
		abi.Sigprocmask{How: abi.SIG_BLOCK, Set: abi.SigSet(n)},
	}).Draw(t, "call")
})

var resultGen = rapid.Custom(func(t *rapid.T) *abi.Result {
	if rapid.Bool().Draw(t, "no-want") {
		return nil
	}
	r := rapid.SampledFrom([]abi.Result{
		abi.Ok(0), abi.Ok(2), abi.Ok(0x100000000000), abi.Fail(abi.EINVAL), abi.Fail(77),
		{Ret: 2, Status: abi.WaitExited(3)}, {Ret: 3, Status: abi.WaitSignaled(abi.SIGKILL)},
		{Ret: 4, Outcome: abi.OutcomeFrozen}, abi.Refuse(abi.OutcomeExited), abi.Refuse(abi.OutcomeNoTask),
		{Outcome: abi.OutcomeKilled, Signal: abi.SIGSEGV},
	}).Draw(t, "want")
	return &r
})

var traceGen = rapid.Custom(func(t *rapid.T) *Trace {
	tr := &Trace{Name: "gen.trace", Comments: commentsGen.Draw(t, "header")}
	tr.Options.MaxTasks = rapid.IntRange(0, 20).Draw(t, "max-tasks")
	n := rapid.IntRange(0, 6).Draw(t, "steps")
	for range n {
		tr.Steps = append(tr.Steps, Step{
			Tid:     rapid.IntRange(0, 12).Draw(t, "tid"),
			Call:    callGen.Draw(t, "call"),
			Want:    resultGen.Draw(t, "want"),
			Comment: commentGen.Draw(t, "step-comment"),
			Before:  commentsGen.Draw(t, "before"),
		})
	}
	tr.Tail = commentsGen.Draw(t, "tail")
	for range rapid.IntRange(0, 3).Draw(t, "asserts") {
		a, err := ParseAssertion(assertGen.Draw(t, "assert"))
		if err != nil {
			t.Fatal(err)
		}
		a.After = rapid.IntRange(0, n).Draw(t, "after")
		tr.Asserts = append(tr.Asserts, a)
	}
	// Parse lists assertions in text order, which is After order.
	slices.SortStableFunc(tr.Asserts, func(a, b Assertion) int { return a.After - b.After })
	return tr
})

var assertGen = rapid.SampledFrom([]string{
	"state 2 zombie", "group 2: 2 3", "frame 2:0x100000200000 kept", "frames 3",
	"action 1 SIGCHLD SIG_DFL SA_NOCLDWAIT", "pending 1 SIGUSR1|SIGTERM",
})

// sameTrace compares traces, ignoring source lines.
func sameTrace(a, b *Trace) string {
	return cmp.Diff(a, b, cmpopts.EquateEmpty(), cmpopts.IgnoreFields(Step{}, "Line"),
		cmp.Comparer(func(x, y Assertion) bool { return x.After == y.After && x.Text == y.Text }))
}

// TestFormatRoundTrip: Parse(Format(t)) equals t, and formatting is stable.
func TestFormatRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		tr := traceGen.Draw(t, "trace")
		text := tr.Format()
		back, err := Parse(tr.Name, []byte(text))
		if err != nil {
			t.Fatalf("Parse of formatted trace failed: %v\n%s", err, text)
		}
		if diff := sameTrace(tr, back); diff != "" {
			t.Fatalf("round trip mismatch (-printed +parsed):\n%s\ntext:\n%s", diff, text)
		}
		if again := back.Format(); again != text {
			t.Fatalf("Format not stable:\n%s\nthen:\n%s", text, again)
		}
	})
}

// FuzzParse: any bytes either fail with a *SyntaxError on a real line, or
// parse to a trace whose canonical text parses back to the same trace.
func FuzzParse(f *testing.F) {
	f.Add([]byte("# h\n# option: max-tasks=8\n\n# why\n1 fork -> 2  # c\n2 exit 0 -> exited\n"))
	f.Add([]byte("1 execve \"a b\" -> ENOENT\n1 wait4 -1 WNOHANG|__WALL -> 2 status=exit(1)\n"))
	f.Add([]byte("1 vfork -> 2 frozen\n2 kill 1 SIGKILL ->0\n# tail\n"))
	f.Add([]byte("# expect: frames 3\n1 fork\n# expect: frame 2:0x100000200000 == 1:0x100000200000\n# why\n2 exit 0\n# expect: state 2 zombie\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		tr, err := Parse("fuzz", src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T %v, want *SyntaxError", err, err)
			}
			lines := strings.Count(string(src), "\n") + 1
			if se.Line < 1 || se.Line > lines || se.Col < 1 {
				t.Fatalf("error position %d:%d outside the %d-line input", se.Line, se.Col, lines)
			}
			return
		}
		text := tr.Format()
		back, err := Parse("fuzz", []byte(text))
		if err != nil {
			t.Fatalf("canonical text does not parse: %v\n%s", err, text)
		}
		if diff := sameTrace(tr, back); diff != "" {
			t.Fatalf("round trip mismatch (-parsed +reparsed):\n%s\ntext:\n%s", diff, text)
		}
	})
}
