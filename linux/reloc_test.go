package linux

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
)

// TestTraceCall: inside a smaller Space the refusal rules see trace
// addresses: a step's and a mapping's are relocated back.
func TestTraceCall(t *testing.T) {
	s, err := SpaceFor(0x7fc0000000)
	if err != nil {
		t.Fatal(err)
	}
	old := space
	space = s
	defer func() { space = old }()
	if got := traceCall(abi.Mmap{Addr: s.TaskSize - 2*abi.PageSize, Len: 0x80000000}); got.(abi.Mmap).Addr != abi.TaskSize-2*abi.PageSize {
		t.Errorf("mmap at the guest's top: %v", got)
	}
	if got := traceCall(abi.Mmap{Len: abi.PageSize}); got.(abi.Mmap).Addr != 0 {
		t.Errorf("a hint-less mmap got a hint: %v", got)
	}
	if got := traceCall(abi.Store{Addr: s.ArenaStart + 0x200008}); got.(abi.Store).Addr != abi.ArenaStart+0x200008 {
		t.Errorf("store: %v", got)
	}
	vmas := traceVMAs([]abi.VMA{{Start: s.ArenaStart, End: s.ArenaStart + 0x2000}, {Start: s.StackArea, End: s.StackArea + 0x1000}})
	if len(vmas) != 1 || vmas[0].Start != abi.ArenaStart || vmas[0].End != abi.ArenaStart+0x2000 {
		t.Errorf("vmas: %+v", vmas)
	}
	space = HostSpace
	if got := traceCall(abi.Store{Addr: 0x1234}); got.(abi.Store).Addr != 0x1234 {
		t.Errorf("HostSpace is not the identity: %v", got)
	}
}

// TestTargetMismatch: this machine's oracle refuses a world that targets
// another kernel, and accepts its own.
func TestTargetMismatch(t *testing.T) {
	if err := targetMismatch(abi.Target{}); err != nil {
		t.Error(err)
	}
	if err := targetMismatch(abi.Target{Release: "6.1", Arch: abi.ArchUM, Layout: abi.LayoutBottomUp}); err == nil {
		t.Error("a User-Mode Linux 6.1 world was accepted on this machine")
	}
	if err := targetMismatch(abi.Target{Layout: abi.LayoutBottomUp}); err == nil {
		t.Error("a bottom-up world was accepted on this machine")
	}
}
