package abi

import (
	"reflect"
	"testing"
)

// Two backends that number their objects differently must produce equal
// canonical views.
func TestCanonicalizeRenumbersByFirstAppearance(t *testing.T) {
	a := View{
		Tasks: []TaskView{
			{Tid: 2, Tgid: 2, Ppid: 1, Mm: 70, FdTable: 9, Sighand: 5, Fs: 3},
			{Tid: 1, Tgid: 1, Mm: 40, FdTable: 8, Sighand: 4, Fs: 3},
		},
		Mms: []MmView{
			{ID: 70, Pages: []PageView{{Addr: 0x2000, Value: 7, Frame: 1234}, {Addr: 0x1000, Value: 5, Frame: 99}}},
			{ID: 40, Pages: []PageView{{Addr: 0x1000, Value: 5, Frame: 99}}},
			{ID: 555}, // referenced by no task: dropped
		},
		FdTables: []FdTableView{{ID: 9, Fds: []FdView{{Fd: 4, File: 31}, {Fd: 3, File: 30}}}, {ID: 8, Fds: []FdView{{Fd: 3, File: 31}}}},
		Files:    []FileView{{ID: 30, Path: "a"}, {ID: 31, Path: "b", Offset: 4}},
		Sighands: []SighandView{{ID: 5, Actions: []ActionView{{Sig: SIGCHLD, Handler: SigIgnore}, {Sig: SIGUSR1}}}, {ID: 4}},
		Fss:      []FsView{{ID: 3, Umask: 0o22}},
		Inodes:   []InodeView{{Path: "c"}, {Path: "b", Size: 4}},
	}
	b := View{
		Tasks: []TaskView{
			{Tid: 1, Tgid: 1, Mm: 1, FdTable: 1, Sighand: 1, Fs: 1},
			{Tid: 2, Tgid: 2, Ppid: 1, Mm: 2, FdTable: 2, Sighand: 2, Fs: 1},
		},
		Mms: []MmView{
			{ID: 1, Pages: []PageView{{Addr: 0x1000, Value: 5, Frame: 8}}},
			{ID: 2, Pages: []PageView{{Addr: 0x1000, Value: 5, Frame: 8}, {Addr: 0x2000, Value: 7, Frame: 3}}},
		},
		FdTables: []FdTableView{{ID: 1, Fds: []FdView{{Fd: 3, File: 2}}}, {ID: 2, Fds: []FdView{{Fd: 3, File: 1}, {Fd: 4, File: 2}}}},
		Files:    []FileView{{ID: 1, Path: "a"}, {ID: 2, Path: "b", Offset: 4}},
		Sighands: []SighandView{{ID: 1}, {ID: 2, Actions: []ActionView{{Sig: SIGCHLD, Handler: SigIgnore}}}},
		Fss:      []FsView{{ID: 1, Umask: 0o22}},
		Inodes:   []InodeView{{Path: "b", Size: 4}},
	}
	ca, cb := Canonicalize(a), Canonicalize(b)
	if !reflect.DeepEqual(ca, cb) {
		t.Fatalf("canonical views differ:\n a: %+v\n b: %+v", ca, cb)
	}
	want := MmView{ID: 2, Pages: []PageView{{Addr: 0x1000, Value: 5, Frame: 1}, {Addr: 0x2000, Value: 7, Frame: 2}}}
	if !reflect.DeepEqual(ca.Mms[1], want) {
		t.Errorf("mm 2 = %+v, want %+v", ca.Mms[1], want)
	}
	if len(ca.Mms) != 2 {
		t.Errorf("unreferenced mm kept: %d mms", len(ca.Mms))
	}
	if got := ca.FdTables[0].Fds[0].File; got != 1 {
		t.Errorf("first file seen through task 1's fd 3 numbered %d, want 1", got)
	}
}

// A difference that matters (a page backed by a different frame) must survive
// canonicalization.
func TestCanonicalizeKeepsSharingDifferences(t *testing.T) {
	shared := View{
		Tasks: []TaskView{{Tid: 1, Mm: 1}, {Tid: 2, Mm: 2}},
		Mms:   []MmView{{ID: 1, Pages: []PageView{{Addr: 0x1000, Frame: 5}}}, {ID: 2, Pages: []PageView{{Addr: 0x1000, Frame: 5}}}},
	}
	split := View{
		Tasks: []TaskView{{Tid: 1, Mm: 1}, {Tid: 2, Mm: 2}},
		Mms:   []MmView{{ID: 1, Pages: []PageView{{Addr: 0x1000, Frame: 5}}}, {ID: 2, Pages: []PageView{{Addr: 0x1000, Frame: 6}}}},
	}
	if reflect.DeepEqual(Canonicalize(shared), Canonicalize(split)) {
		t.Fatal("a shared frame and two distinct frames canonicalize equal")
	}
}

func TestCanonicalizeMergesAdjacentEqualMappings(t *testing.T) {
	v := Canonicalize(View{
		Tasks: []TaskView{{Tid: 1, Mm: 1}},
		Mms: []MmView{{ID: 1, Mappings: []MappingView{
			{Start: 0x3000, End: 0x4000, Prot: PROT_READ},
			{Start: 0x1000, End: 0x2000, Prot: PROT_READ},
			{Start: 0x2000, End: 0x3000, Prot: PROT_READ},
			{Start: 0x4000, End: 0x5000, Prot: PROT_READ, DontFork: true},
			{Start: 0x6000, End: 0x7000, Prot: PROT_READ},
		}}},
	})
	want := []MappingView{
		{Start: 0x1000, End: 0x4000, Prot: PROT_READ},
		{Start: 0x4000, End: 0x5000, Prot: PROT_READ, DontFork: true},
		{Start: 0x6000, End: 0x7000, Prot: PROT_READ},
	}
	if !reflect.DeepEqual(v.Mms[0].Mappings, want) {
		t.Fatalf("mappings = %+v, want %+v", v.Mms[0].Mappings, want)
	}
}

func TestCanonicalizeDropsDefaultActions(t *testing.T) {
	v := Canonicalize(View{
		Tasks:    []TaskView{{Tid: 1, Sighand: 7}},
		Sighands: []SighandView{{ID: 7, Actions: []ActionView{{Sig: SIGUSR1}, {Sig: SIGTERM, Handler: SigHandle}}}},
	})
	want := []ActionView{{Sig: SIGTERM, Handler: SigHandle}}
	if !reflect.DeepEqual(v.Sighands[0].Actions, want) {
		t.Fatalf("actions = %+v, want %+v", v.Sighands[0].Actions, want)
	}
}

func TestWaitStatusEncoding(t *testing.T) {
	for _, c := range []struct {
		status int
		text   string
	}{
		{WaitExited(1), "exit(1)"},
		{WaitExited(256 + 3), "exit(3)"},
		{WaitSignaled(SIGKILL), "signal(SIGKILL)"},
		{WaitSignaled(SIGSEGV), "signal(SIGSEGV)"},
		{0x137f, "0x137f"},
	} {
		if got := FormatWaitStatus(c.status); got != c.text {
			t.Errorf("FormatWaitStatus(%#x) = %q, want %q", c.status, got, c.text)
		}
	}
}
