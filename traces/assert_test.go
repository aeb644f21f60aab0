package traces

import (
	"strings"
	"testing"

	"github.com/forkspec/forkspec/abi"
)

// sampleView: group 2 = {2, 3} sharing mm 1 and sighand 1; task 4 a zombie
// child; task 1 init on its own mm 2. Frame 1 is shared by mm 1 and mm 2 at
// 0x1000; frame 2 is mm 1's alone at 0x2000.
func sampleView() abi.View {
	return abi.View{
		Tasks: []abi.TaskView{
			{Tid: 1, Tgid: 1, State: abi.Running, ExitSignal: abi.SIGCHLD, Mm: 2, FdTable: 2, Sighand: 2, Fs: 2},
			{Tid: 2, Tgid: 2, Ppid: 1, State: abi.VforkFrozen, ExitSignal: abi.SIGCHLD, Mm: 1, FdTable: 1, Sighand: 1, Fs: 1,
				Blocked: abi.SigBit(abi.SIGUSR1)},
			{Tid: 3, Tgid: 2, Ppid: 1, State: abi.Running, ExitSignal: -1, Mm: 1, FdTable: 3, Sighand: 1, Fs: 1},
			{Tid: 4, Tgid: 4, Ppid: 2, State: abi.Zombie, ExitSignal: abi.SIGCHLD, WaitStatus: 0x100},
		},
		Procs: []abi.ProcView{
			{Tgid: 1}, {Tgid: 2, Pending: abi.SigBit(abi.SIGUSR1) | abi.SigBit(abi.SIGTERM),
				Handled: []abi.SigCount{{Sig: abi.SIGCHLD, Count: 2}}}, {Tgid: 4},
		},
		Mms: []abi.MmView{
			{ID: 1, Pages: []abi.PageView{{Addr: 0x1000, Value: 5, Frame: 1}, {Addr: 0x2000, Value: 6, Frame: 2}}},
			{ID: 2, Pages: []abi.PageView{{Addr: 0x1000, Value: 5, Frame: 1}}},
		},
		Sighands: []abi.SighandView{
			{ID: 1, Actions: []abi.ActionView{{Sig: abi.SIGCHLD, Handler: abi.SigDefault, Flags: abi.SA_NOCLDWAIT},
				{Sig: abi.SIGUSR2, Handler: abi.SigHandle}}},
			{ID: 2},
		},
	}
}

func TestAssertionsHoldOrSayWhy(t *testing.T) {
	v := sampleView()
	for _, tc := range []struct {
		text string
		fail string // "" when the assertion holds; else part of the message
	}{
		{"state 2 vfork-frozen", ""},
		{"state 4 zombie", ""},
		{"state 9 gone", ""},
		{"state 3 zombie", "task 3 is running"},
		{"group 2: 3 2", ""},
		{"group 2: 2", "group 2 has tasks [2 3]"},
		{"ppid 4 2", ""},
		{"ppid 4 1", "task 4 has ppid 2"},
		{"ppid 9 1", "task 9 does not exist"},
		{"exitsignal 3 -1", ""},
		{"exitsignal 2 SIGCHLD", ""},
		{"exitsignal 2 0", "task 2 has exit signal SIGCHLD"},
		{"pending 3 SIGUSR1|SIGTERM", ""},
		{"pending 2 SIGUSR1", "process 2 has pending SIGUSR1|SIGTERM"},
		{"pending 4 0", ""},
		{"blocked 2 SIGUSR1", ""},
		{"blocked 3 0", ""},
		{"blocked 3 SIGUSR1", "task 3 blocks 0"},
		{"handled 3 SIGCHLD 2", ""},
		{"handled 2 SIGUSR2 0", ""},
		{"handled 2 SIGCHLD 1", "handled SIGCHLD 2 times"},
		{"action 3 SIGCHLD SIG_DFL SA_NOCLDWAIT", ""},
		{"action 3 SIGCHLD SIG_DFL", "has SIG_DFL SA_NOCLDWAIT for SIGCHLD"},
		{"action 2 SIGUSR2 handler", ""},
		{"action 1 SIGUSR2 SIG_DFL", ""},
		{"action 4 SIGUSR2 SIG_DFL", "no disposition table"},
		{"same mm 2 3", ""},
		{"differ fdtable 2 3", ""},
		{"same fdtable 2 3", "task 2 has fdtable #1, task 3 has fdtable #3"},
		{"differ mm 1 4", "holds no mm"},
		{"frame 2:0x1000 == 1:0x1fff", ""},
		{"frame 2:0x1000 != 1:0x1000", "holds frame #1"},
		{"frame 2:0x2000 alone", ""},
		{"frame 2:0x1000 alone", "which 2 pages share"},
		{"frame 1:0x2000 none", ""},
		{"frame 2:0x2008 none", "holds frame #2"},
		{"frame 2:0x2000 != 1:0x2000", "frame none"},
		{"frame 4:0x1000 none", "task 4 has no address space"},
		{"frames 2", ""},
		{"frames 3", "the world holds 2 frames"},
	} {
		a, err := ParseAssertion(tc.text)
		if err != nil {
			t.Errorf("%q: parse: %v", tc.text, err)
			continue
		}
		err = a.Check(v, FrameRef{}, FrameRef{})
		switch {
		case tc.fail == "" && err != nil:
			t.Errorf("%q: want it to hold, got %v", tc.text, err)
		case tc.fail != "" && (err == nil || !strings.Contains(err.Error(), tc.fail)):
			t.Errorf("%q: got %v, want a failure mentioning %q", tc.text, err, tc.fail)
		}
	}
}

func TestFrameKeptComparesAcrossTheStep(t *testing.T) {
	v := sampleView()
	a, err := ParseAssertion("frame 2:0x2000 kept")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Check(v, FrameRef{7, true}, FrameRef{7, true}); err != nil {
		t.Errorf("same identity: %v", err)
	}
	if err := a.Check(v, FrameRef{7, true}, FrameRef{8, true}); err == nil || !strings.Contains(err.Error(), "changed frame") {
		t.Errorf("new identity: got %v, want a changed-frame failure", err)
	}
	if err := a.Check(v, FrameRef{}, FrameRef{8, true}); err == nil {
		t.Error("no frame before the step: want a failure")
	}
}

func TestBadAssertionsAreRejected(t *testing.T) {
	for _, text := range []string{
		"", "state 2", "state x running", "group 2 3", "ppid 2", "exitsignal 2 SIGNOPE",
		"pending 2 SIGUSR1|", "handled 2 SIGUSR1 -1", "action 2 SIGUSR1 sometimes", "same pid 2 3",
		"frame 2:0x1000", "frame 2 none", "frame 2:zz none", "frame 2:0x1000 <= 3:0x1000", "frames x", "colour 2 red",
	} {
		if _, err := ParseAssertion(text); err == nil {
			t.Errorf("%q: parsed, want an error", text)
		}
	}
}
