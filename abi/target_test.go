package abi

import "testing"

func TestReleaseOrder(t *testing.T) {
	for _, c := range []struct {
		t      Target
		before Release
		want   bool
	}{
		{Target{}, "6.18", false}, // the default is 6.18
		{Target{}, "6.19", true},
		{Target{Release: "6.1"}, "6.11", true}, // numeric, not lexical
		{Target{Release: "6.11"}, "6.11", false},
		{Target{Release: "6.12"}, "6.11", false},
		{Target{Release: "5.19"}, "6.1", true},
	} {
		if got := c.t.Before(c.before); got != c.want {
			t.Errorf("%+v.Before(%s) = %v, want %v", c.t, c.before, got, c.want)
		}
	}
	for in, want := range map[string]Release{"6.1": "6.1", "6.1.176": "6.1", "6.18.44-fc-v1147": "6.18"} {
		if got, err := ParseRelease(in); err != nil || got != want {
			t.Errorf("ParseRelease(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "6", "six.one", "6.x"} {
		if _, err := ParseRelease(bad); err == nil {
			t.Errorf("ParseRelease(%q): no error", bad)
		}
	}
}

func noMapping(uint64) (int64, bool) { return 0, false }

func TestTargetRefusal(t *testing.T) {
	dontfork := Madvise{Addr: ArenaStart, Len: PageSize, Advice: MADV_DONTFORK}
	um61 := Target{Release: "6.1", Arch: ArchUM, Layout: LayoutBottomUp}
	if TargetRefusal(um61, dontfork, noMapping) == "" {
		t.Error("MADV_DONTFORK on UML 6.1 is not refused")
	}
	for _, ok := range []struct {
		t  Target
		sc Syscall
	}{
		{Target{}, dontfork},                                                        // x86-64 6.18
		{Target{Release: "6.1"}, dontfork},                                          // x86-64 6.1
		{Target{Release: "6.11", Arch: ArchUM}, dontfork},                           // UML with the fix
		{um61, Madvise{Addr: ArenaStart + 1, Len: PageSize, Advice: MADV_DONTFORK}}, // EINVAL: changes nothing
		{um61, Madvise{Addr: ArenaStart, Len: 0, Advice: MADV_DONTFORK}},            // a no-op
		{um61, Madvise{Addr: ArenaStart, Len: PageSize, Advice: MADV_WIPEONFORK}},
	} {
		if why := TargetRefusal(ok.t, ok.sc, noMapping); why != "" {
			t.Errorf("%+v %v refused: %s", ok.t, ok.sc, why)
		}
	}
}

// TestTargetRefusalWriteOnlyLoad: on User-Mode Linux a load from a
// write-only mapping is refused; from any readable one, and on x86-64, it
// is answered.
func TestTargetRefusalWriteOnlyLoad(t *testing.T) {
	load := Load{Addr: ArenaStart + 0x10}
	for _, c := range []struct {
		t       Target
		prot    int64
		refused bool
	}{
		{Target{Arch: ArchUM}, PROT_WRITE, true},
		{Target{Arch: ArchUM, Release: "6.12"}, PROT_WRITE, true},
		{Target{Arch: ArchUM}, PROT_WRITE | PROT_READ, false},
		{Target{Arch: ArchUM}, PROT_WRITE | PROT_EXEC, false},
		{Target{Arch: ArchUM}, PROT_NONE, false}, // SIGSEGV everywhere
		{Target{}, PROT_WRITE, false},
	} {
		prot := func(a uint64) (int64, bool) {
			if a != load.Addr {
				t.Errorf("asked for %#x", a)
			}
			return c.prot, true
		}
		if got := TargetRefusal(c.t, load, prot) != ""; got != c.refused {
			t.Errorf("%+v, prot %d: refused %v, want %v", c.t, c.prot, got, c.refused)
		}
	}
}

func TestWaitSleeps(t *testing.T) {
	v := View{Tasks: []TaskView{
		{Tid: 1, Tgid: 1},
		{Tid: 2, Tgid: 2, Ppid: 1, ExitSignal: SIGCHLD},
		{Tid: 3, Tgid: 3, Ppid: 1, ExitSignal: SIGCHLD, State: Zombie},
		{Tid: 4, Tgid: 4, Ppid: 2, ExitSignal: SIGUSR1},
	}}
	for _, c := range []struct {
		tid  int
		w    Wait4
		want bool
	}{
		{1, Wait4{Pid: -1}, false}, // 3 is waitable
		{1, Wait4{Pid: 2}, true},   // 2 runs
		{1, Wait4{Pid: 2, Options: WNOHANG}, false},
		{1, Wait4{Pid: 9}, false},  // ECHILD
		{2, Wait4{Pid: -1}, false}, // 4 is a clone child: no match without __WCLONE
		{2, Wait4{Pid: -1, Options: WALL}, true},
		{2, Wait4{Pid: -1, Options: 0x100}, false}, // EINVAL
		{1, Wait4{Pid: 0}, false},                  // process groups: not modelled
		{1, Wait4{Pid: -1, Options: WNOTHREAD}, true},
	} {
		if got := WaitSleeps(v, c.tid, c.w); got != c.want {
			t.Errorf("task %d %v: WaitSleeps %v, want %v", c.tid, c.w, got, c.want)
		}
	}
	um := Target{Release: "6.1", Arch: ArchUM}
	if why := TargetLibcRefusal(um, v, 1, Wait4{Pid: 2}); why == "" {
		t.Error("a sleeping wait4 on User-Mode Linux is not refused")
	}
	if why := TargetLibcRefusal(um, v, 1, Wait4{Pid: -1}); why != "" {
		t.Errorf("a wait4 that reaps on User-Mode Linux is refused: %s", why)
	}
	if why := TargetLibcRefusal(Target{}, v, 1, Futex{}); why != "" {
		t.Errorf("futex refused on this machine's target: %s", why)
	}
}
