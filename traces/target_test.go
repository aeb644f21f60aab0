package traces

import (
	"errors"
	"strings"
	"testing"

	"github.com/forkspec/forkspec/abi"
)

// TestTargetOptions: kernel=, mmap= and arch= name the kernel a trace's
// world follows (abi.Target), print back as written and reach Config.
func TestTargetOptions(t *testing.T) {
	src := "# option: max-tasks=4 kernel=6.1 mmap=bottom-up arch=um\n\n1 fork -> 2\n"
	tr, err := Parse("t", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := abi.Target{Release: "6.1", Layout: abi.LayoutBottomUp, Arch: abi.ArchUM}
	if tr.Options.Target != want || tr.Options.Config().Target != want {
		t.Errorf("target %+v (config %+v), want %+v", tr.Options.Target, tr.Options.Config().Target, want)
	}
	if got := tr.Format(); got != src {
		t.Errorf("Format:\n%s\nwant:\n%s", got, src)
	}
	for _, c := range []struct {
		src       string
		line, col int
		msg       string
	}{
		{"# option: kernel=six\n", 1, 18, "option kernel: release \"six\""},
		{"# option: mmap=sideways\n", 1, 16, "want top-down or bottom-up"},
		{"# option: arch=arm64\n", 1, 16, "want x86-64 or um"},
		{"# option: kernel=6.1 kernel=6.18\n", 1, 22, "given twice"},
	} {
		_, err := Parse("f.trace", []byte(c.src))
		var se *SyntaxError
		if !errors.As(err, &se) || se.Line != c.line || se.Col != c.col || !strings.Contains(se.Msg, c.msg) {
			t.Errorf("Parse(%q) = %v, want f.trace:%d:%d: …%s…", c.src, err, c.line, c.col, c.msg)
		}
	}
}
