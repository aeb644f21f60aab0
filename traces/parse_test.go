package traces

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/google/go-cmp/cmp"
)

func res(r abi.Result) *abi.Result { return &r }

// TestParse reads a trace using every feature of the format.
func TestParse(t *testing.T) {
	src := `# fork-cow: a store after fork splits the shared frame.
# option: max-tasks=8
#   indented comment

# Task 1 forks; the child is task 2.
1 fork -> 2   # COW-1
  2 store 0x100000200000 0x99 ->0
1 load 0x100000200000
# two comment lines
#
1 execve "a b#c" -> ENOENT
1 wait4 -1 WNOHANG ->  0    # trailing
# the end
`
	got, err := Parse("x.trace", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := &Trace{
		Name:     "x.trace",
		Comments: []string{"fork-cow: a store after fork splits the shared frame.", "  indented comment"},
		Options:  Options{MaxTasks: 8},
		Steps: []Step{
			{Line: 6, Tid: 1, Call: abi.Fork{}, Want: res(abi.Ok(2)), Comment: "COW-1", Before: []string{"Task 1 forks; the child is task 2."}},
			{Line: 7, Tid: 2, Call: abi.Store{Addr: 0x100000200000, Value: 0x99}, Want: res(abi.Ok(0))},
			{Line: 8, Tid: 1, Call: abi.Load{Addr: 0x100000200000}},
			{Line: 11, Tid: 1, Call: abi.Execve{Image: "a b#c"}, Want: res(abi.Fail(abi.ENOENT)), Before: []string{"two comment lines", ""}},
			{Line: 12, Tid: 1, Call: abi.Wait4{Pid: -1, Options: abi.WNOHANG}, Want: res(abi.Ok(0)), Comment: "trailing"},
		},
		Tail: []string{"the end"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse mismatch (-want +got):\n%s", diff)
	}
}

// TestParseErrors checks that each kind of bad text is reported at the right
// file:line:col with a message that says what is wrong.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		src       string
		line, col int
		msg       string
	}{
		{"1 frok\n", 1, 3, `unknown syscall "frok"`},
		{"# h\n\n1 fork\n  2 exit x\n", 4, 10, `exit: status: bad number "x"`},
		{"x fork\n", 1, 1, "expected a task id"},
		{"1\n", 1, 2, "missing syscall after task id 1"},
		{"1 # only a comment\n", 1, 2, "missing syscall"},
		{"-> 3\n", 1, 1, "missing task id"},
		{"1 fork ->\n", 1, 8, `missing expected result after "->"`},
		{"1 fork -> 2 -> 3\n", 1, 13, `unexpected "->"`},
		{"1 fork -> ENOPE\n", 1, 11, "expected a number, an errno name"},
		{"1 wait4 -1 WFOO -> 0\n", 1, 12, `unknown name "WFOO"`},
		{`1 execve "sh -> 0` + "\n", 1, 10, "unterminated"},
		{"1 fork\n# option: max-tasks=8\n", 2, 1, "option lines belong in the header"},
		{"# option: max-tasks=0\n", 1, 21, "max-tasks: want a positive"},
		{"# option: max-tasks=8 max-tasks=9\n", 1, 23, "given twice"},
		{"# option: colour=red\n", 1, 11, `unknown option "colour"`},
		{"# option: verbose\n", 1, 11, "want key=value"},
		{"# option:\n", 1, 10, "empty option line"},
		{"1 kill 2 SIGTERM extra -> 0\n", 1, 18, `unexpected argument "extra"`},
		{"-1 fork\n", 1, 1, "task id -1 is negative"},
		{"1 fork\n  # expect: state 2 asleep\n", 2, 13, `bad assertion: unknown state "asleep"`},
		{"1 fork\n#expect:\n", 2, 9, "bad assertion: empty assertion"},
	}
	for _, tt := range tests {
		_, err := Parse("f.trace", []byte(tt.src))
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) error = %v, want a *SyntaxError", tt.src, err)
			continue
		}
		if se.File != "f.trace" || se.Line != tt.line || se.Col != tt.col || !strings.Contains(se.Msg, tt.msg) {
			t.Errorf("Parse(%q) error = %q, want f.trace:%d:%d: …%s…", tt.src, se.Error(), tt.line, tt.col, tt.msg)
		}
		if want := "f.trace:"; !strings.HasPrefix(se.Error(), want) {
			t.Errorf("error text %q does not start with %q", se.Error(), want)
		}
	}
}

// TestFormatCanonical pins the canonical layout: header, blank line, aligned
// arrows and comments, a blank line before each explained step.
func TestFormatCanonical(t *testing.T) {
	src := "# demo\n# option: max-tasks=4\n1 fork ->2 # a\n2 store 0x100000200000 0x99 -> 0\n# explain\n1 getpid #b\n"
	tr, err := Parse("d", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := `# demo
# option: max-tasks=4

1 fork                      -> 2  # a
2 store 0x100000200000 0x99 -> 0

# explain
1 getpid                          # b
`
	if got := tr.Format(); got != want {
		t.Errorf("Format:\n%s\nwant:\n%s", got, want)
	}
}

// TestParseFileMissing reports a missing file as an error, not a panic.
func TestParseFileMissing(t *testing.T) {
	if _, err := ParseFile("testdata/no-such-file.trace"); err == nil {
		t.Error("ParseFile of a missing file succeeded")
	}
}

// endless is an io.Reader of s repeated forever.
type endless struct {
	s   string
	off int
}

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = e.s[e.off%len(e.s)]
		e.off++
	}
	return len(p), nil
}

// TestParseBoundsItsInput: endless input, an endless line and /dev/zero are
// refused at the limits with a positioned error, not read until memory runs
// out; a bad token of a megabyte is quoted in at most ~80 characters.
func TestParseBoundsItsInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    io.Reader
		line int
		msg  string
	}{
		{"endless blank lines", &endless{s: strings.Repeat(" ", 1023) + "\n"}, MaxTraceBytes/1024 + 1, "trace longer than"},
		{"an endless line", &endless{s: "1 getpid "}, 1, "line longer than"},
	} {
		_, err := ParseReader("f.trace", tc.r)
		var se *SyntaxError
		if !errors.As(err, &se) || se.Line != tc.line || !strings.Contains(se.Msg, tc.msg) {
			t.Errorf("%s: got %v, want f.trace:%d: …%s…", tc.name, err, tc.line, tc.msg)
		}
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		_, err := ParseFile("/dev/zero")
		if err == nil || !strings.Contains(err.Error(), "/dev/zero:1:") || !strings.Contains(err.Error(), "line longer than") {
			t.Errorf("ParseFile(/dev/zero) = %v", err)
		}
	}
	big := strings.Repeat("x", 1<<20)
	for _, src := range []string{"1 " + big + "\n", "1 " + strings.Repeat("\x01", MaxLineBytes/2) + "\n", "1 kill 2 " + big[:MaxLineBytes-20] + "\n"} {
		_, err := Parse("f.trace", []byte(src))
		if err == nil {
			t.Fatalf("a bad token of %d bytes parsed", len(src))
		}
		if len(err.Error()) > 200 {
			t.Errorf("error for a bad token of %d bytes is %d bytes long: %.300s", len(src), len(err.Error()), err)
		}
	}
	if got := clipQuoted(`unknown syscall "` + big + `" here, and "short"`); !strings.HasSuffix(got, `… (1048576 bytes) here, and "short"`) || len(got) > 120 {
		t.Errorf("clipQuoted: %.200s", got)
	}
}

// TestParseFileNeedsSteps: a file with no step (empty, or comments only)
// is an error that says so; Parse itself accepts it (a docs block is
// checked by its page).
func TestParseFileNeedsSteps(t *testing.T) {
	dir := t.TempDir()
	for _, src := range []string{"", "# only a comment\n\n# expect: frames 3\n"} {
		p := filepath.Join(dir, "empty.trace")
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ParseFile(p)
		var se *SyntaxError
		if !errors.As(err, &se) || !strings.Contains(se.Msg, "no steps") || se.File != p {
			t.Errorf("ParseFile(%q) = %v, want a no-steps error", src, err)
		}
		if _, err := Parse(p, []byte(src)); err != nil {
			t.Errorf("Parse(%q) = %v", src, err)
		}
	}
}
