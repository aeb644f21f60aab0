package gen

import (
	"github.com/forkspec/forkspec/abi"
)

// imageMm builds the canonical MmView of a freshly exec'd image, with frames
// numbered from *frame on.
func imageMm(id int, name string, frame *int) abi.MmView {
	m := abi.MmView{ID: id}
	for _, im := range abi.Images[name].Mappings {
		m.Mappings = append(m.Mappings, abi.MappingView{
			Start: im.Addr, End: im.Addr + im.Pages*abi.PageSize, Prot: im.Prot, Shared: im.Flags&abi.MAP_SHARED != 0,
		})
		for i, v := range im.Values {
			if v != 0 {
				*frame++
				m.Pages = append(m.Pages, abi.PageView{Addr: im.Addr + uint64(i)*abi.PageSize, Value: v, Frame: *frame})
			}
		}
	}
	return m
}

// initView is the View of a world that has just started (WORLD-1).
func initView() abi.View {
	f := 0
	return abi.Canonicalize(abi.View{
		Tasks:    []abi.TaskView{{Tid: 1, Tgid: 1, State: abi.Running, ExitSignal: abi.SIGCHLD, Image: "init", Mm: 1, FdTable: 1, Sighand: 1, Fs: 1}},
		Procs:    []abi.ProcView{{Tgid: 1}},
		Mms:      []abi.MmView{imageMm(1, "init", &f)},
		FdTables: []abi.FdTableView{{ID: 1}},
		Sighands: []abi.SighandView{{ID: 1}},
		Fss:      []abi.FsView{{ID: 1, Umask: abi.DefaultUmask}},
	})
}

// forkedView is initView after "1 fork": task 2 shares every frame of init.
func forkedView() abi.View {
	v := initView()
	m := v.Mms[0]
	m2 := m
	m2.ID = 2
	v.Mms = append(v.Mms, m2)
	v.Tasks = append(v.Tasks, abi.TaskView{Tid: 2, Tgid: 2, Ppid: 1, State: abi.Running, ExitSignal: abi.SIGCHLD, Image: "init", Mm: 2, FdTable: 2, Sighand: 2, Fs: 2})
	v.Procs = append(v.Procs, abi.ProcView{Tgid: 2})
	v.FdTables = append(v.FdTables, abi.FdTableView{ID: 2})
	v.Sighands = append(v.Sighands, abi.SighandView{ID: 2})
	v.Fss = append(v.Fss, abi.FsView{ID: 2, Umask: abi.DefaultUmask})
	return abi.Canonicalize(v)
}

// scripted is a Source that answers from a list, then 0.
type scripted struct{ xs []int }

func (s *scripted) Intn(n int, _ string) int {
	if len(s.xs) == 0 {
		return 0
	}
	x := s.xs[0]
	s.xs = s.xs[1:]
	return x % n
}
