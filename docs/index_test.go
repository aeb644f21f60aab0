package docs

import (
	"strings"
	"testing"
)

func TestIndexRoundTripsItsStatusColumns(t *testing.T) {
	specs := []Spec{
		{ID: "VFORK-1a", Clause: "VFORK-1", Title: "vfork is clone(CLONE_VM|CLONE_VFORK|SIGCHLD)", Page: "vfork.md"},
		{ID: "VFORK-2a", Clause: "VFORK-2", Title: "frozen", Page: "vfork.md"},
	}
	cols := []Column{
		{Name: "model", Status: map[string]string{"VFORK-1a": "pass", "VFORK-2a": "FAIL"}},
		{Name: "Linux", Status: map[string]string{"VFORK-1a": "skip"}},
	}
	idx := Index(specs, cols)
	if !strings.Contains(idx, `clone(CLONE_VM\|CLONE_VFORK\|SIGCHLD)`) {
		t.Errorf("title pipes not escaped:\n%s", idx)
	}
	if !strings.Contains(idx, "- model: 1 pass, 1 FAIL") || !strings.Contains(idx, "- Linux: 1 skip, 1 not run") {
		t.Errorf("tallies wrong:\n%s", idx)
	}
	readme, ok := SpliceIndex("intro\n"+IndexBegin+"\nold\n"+IndexEnd+"\nend\n", idx)
	if !ok || !strings.HasPrefix(readme, "intro\n"+IndexBegin+"\n| Spec") || !strings.HasSuffix(readme, IndexEnd+"\nend\n") {
		t.Fatalf("splice:\n%s", readme)
	}
	got := IndexColumn(readme, "Linux")
	if got["VFORK-1a"] != "skip" || got["VFORK-2a"] != "not run" || len(got) != 2 {
		t.Errorf("Linux column read back as %v", got)
	}
	if got := IndexColumn(readme, "model"); got["VFORK-2a"] != "FAIL" {
		t.Errorf("model column read back as %v", got)
	}
	if IndexColumn(readme, "impl") != nil {
		t.Error("a missing column should read back as nil")
	}
	if _, ok := SpliceIndex("no markers", idx); ok {
		t.Error("splice without markers should fail")
	}
}

func TestAnchorIsGitHubs(t *testing.T) {
	for in, want := range map[string]string{
		"VFORK-1a: vfork is clone(CLONE_VM|CLONE_VFORK|SIGCHLD)":          "vfork-1a-vfork-is-cloneclone_vmclone_vforksigchld",
		"EXEC-4b: a CLONE_FILES partner keeps the fds the exec'er closed": "exec-4b-a-clone_files-partner-keeps-the-fds-the-execer-closed",
		"MEM-4b: mprotect: EINVAL unaligned; ENOMEM over a hole":          "mem-4b-mprotect-einval-unaligned-enomem-over-a-hole",
	} {
		if got := Anchor(in); got != want {
			t.Errorf("Anchor(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRewriteResultsKeepsCommentsAndBareSteps(t *testing.T) {
	src := "intro -> prose\n1 fork -> 3  # the child\n1 getpid\n1 load 0x1000 -> 0x1\n"
	got := string(RewriteResults([]byte(src), map[int]string{2: "2", 3: "1", 4: "0x21"}))
	want := "intro -> prose\n1 fork -> 2  # the child\n1 getpid\n1 load 0x1000 -> 0x21\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestColumnsKeepLinuxAsRecorded(t *testing.T) {
	specs := []Spec{{ID: "FORK-1a", Clause: "FORK-1", Title: "t", Page: "fork.md"}}
	recorded := Index(specs, []Column{{Name: LinuxColumn, Status: map[string]string{"FORK-1a": "FAIL"}}})
	readme, _ := SpliceIndex(IndexBegin+"\n"+IndexEnd+"\n", recorded)
	cols := Columns(map[string]map[string]Outcome{"model": {"FORK-1a": {Status: PassUnchecked}}}, readme)
	got := map[string]string{}
	for _, c := range cols {
		got[c.Name] = statusOf(c, "FORK-1a")
	}
	want := map[string]string{"model": "pass*", "impl": "not run", LinuxColumn: "FAIL"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("column %s: %q, want %q", k, got[k], v)
		}
	}
}
