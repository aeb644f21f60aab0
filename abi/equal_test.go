package abi

import (
	"reflect"
	"testing"
)

// TestEqualSeesEveryField: View.Equal agrees with reflect.DeepEqual when any
// one field anywhere in a View changes (every field of every element type,
// found by reflection, so that a field added later is covered), and when a
// slice goes from empty to nil.
func TestEqualSeesEveryField(t *testing.T) {
	base := func() View {
		return View{
			Tasks:    []TaskView{{Tid: 1, Tgid: 1, Image: "init", Mm: 1, FdTable: 1, Sighand: 1, Fs: 1, Handled: []SigCount{{Sig: 10, Count: 1}}}},
			Procs:    []ProcView{{Tgid: 1, Handled: []SigCount{{Sig: 10, Count: 1}}}},
			Mms:      []MmView{{ID: 1, Mappings: []MappingView{{Start: 0x1000, End: 0x2000, Prot: 3}}, Pages: []PageView{{Addr: 0x1000, Value: 7, Frame: 1}}}},
			FdTables: []FdTableView{{ID: 1, Fds: []FdView{{Fd: 3, File: 1}}}},
			Files:    []FileView{{ID: 1, Path: "a", Offset: 1}},
			Inodes:   []InodeView{{Path: "a", Size: 1}},
			Sighands: []SighandView{{ID: 1, Actions: []ActionView{{Sig: 10, Handler: SigHandle, Flags: 1}}}},
			Fss:      []FsView{{ID: 1, Umask: 0o22}},
		}
	}
	if !base().Equal(base()) {
		t.Fatal("a View differs from its copy")
	}
	changed := 0
	// visit calls f with every settable leaf field (and every slice) of v.
	var visit func(v reflect.Value, path string, f func(reflect.Value, string))
	visit = func(v reflect.Value, path string, f func(reflect.Value, string)) {
		switch v.Kind() {
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				visit(v.Field(i), path+"."+v.Type().Field(i).Name, f)
			}
		case reflect.Slice:
			f(v, path)
			for i := 0; i < v.Len(); i++ {
				visit(v.Index(i), path+"[i]", f)
			}
		default:
			f(v, path)
		}
	}
	var paths []string
	b := base()
	visit(reflect.ValueOf(&b).Elem(), "View", func(_ reflect.Value, p string) { paths = append(paths, p) })
	for n, p := range paths {
		for _, mode := range []string{"change", "nil"} {
			w := base()
			i := 0
			visit(reflect.ValueOf(&w).Elem(), "View", func(v reflect.Value, q string) {
				defer func() { i++ }()
				if i != n {
					return
				}
				switch {
				case mode == "nil" && v.Kind() == reflect.Slice:
					v.Set(reflect.MakeSlice(v.Type(), 0, 0)) // empty, not nil
				case mode == "nil":
				case v.Kind() == reflect.Slice:
					v.Set(reflect.Zero(v.Type()))
				case v.Kind() == reflect.String:
					v.SetString(v.String() + "x")
				case v.Kind() == reflect.Bool:
					v.SetBool(!v.Bool())
				case v.CanInt():
					v.SetInt(v.Int() + 1)
				case v.CanUint():
					v.SetUint(v.Uint() + 1)
				default:
					t.Fatalf("%s: a %s field the test cannot change", q, v.Kind())
				}
			})
			if got, want := base().Equal(w), reflect.DeepEqual(base(), w); got != want {
				t.Errorf("%s (%s): Equal says %v, reflect.DeepEqual %v", p, mode, got, want)
			}
			if !reflect.DeepEqual(base(), w) {
				changed++
			}
		}
	}
	if changed < 40 {
		t.Fatalf("only %d changes made: the test reaches too few fields", changed)
	}
}
