package abi

import (
	"reflect"
	"slices"
	"testing"
)

// TestObserveKnowsEverySection: Restrict and Uncovered handle every field
// of View (a section added to View must be added to both).
func TestObserveKnowsEverySection(t *testing.T) {
	var fields []string
	vt := reflect.TypeOf(View{})
	for i := 0; i < vt.NumField(); i++ {
		fields = append(fields, vt.Field(i).Name)
	}
	if !slices.Equal(fields, restrictedSections) {
		t.Fatalf("View has sections %v, Restrict and Uncovered know %v: teach them the new ones", fields, restrictedSections)
	}
}

// TestRestrict: a cut View keeps the tasks asked for, their processes, the
// objects they use and the open files their fd tables hold, and every
// inode; nothing else.
func TestRestrict(t *testing.T) {
	v := View{
		Tasks: []TaskView{
			{Tid: 1, Tgid: 1, Mm: 10, FdTable: 20, Sighand: 30, Fs: 40},
			{Tid: 2, Tgid: 2, Mm: 11, FdTable: 21, Sighand: 31, Fs: 41},
			{Tid: 3, Tgid: 2, Mm: 11, FdTable: 21, Sighand: 31, Fs: 41},
		},
		Procs:    []ProcView{{Tgid: 1}, {Tgid: 2}},
		Mms:      []MmView{{ID: 10}, {ID: 11}},
		FdTables: []FdTableView{{ID: 20, Fds: []FdView{{Fd: 0, File: 50}}}, {ID: 21, Fds: []FdView{{Fd: 0, File: 51}}}},
		Files:    []FileView{{ID: 50, Path: "a"}, {ID: 51, Path: "b"}},
		Inodes:   []InodeView{{Path: "a", Size: 3}},
		Sighands: []SighandView{{ID: 30}, {ID: 31}},
		Fss:      []FsView{{ID: 40}, {ID: 41}},
	}
	got := Restrict(v, []int{3, 7})
	want := View{
		Tasks:    []TaskView{v.Tasks[2]},
		Procs:    []ProcView{{Tgid: 2}},
		Mms:      []MmView{{ID: 11}},
		FdTables: []FdTableView{v.FdTables[1]},
		Files:    []FileView{{ID: 51, Path: "b"}},
		Inodes:   []InodeView{{Path: "a", Size: 3}},
		Sighands: []SighandView{{ID: 31}},
		Fss:      []FsView{{ID: 41}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Restrict(v, [3 7]) =\n%+v\nwant\n%+v", got, want)
	}
}
