package uml

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/linux"
)

// The channel. The host and the guest exchange frames over the guest's
// second console line, which the host maps to a pipe pair when it boots
// the kernel (con1=fd:R,fd:W, arch/um/drivers/chan_kern.c); the guest puts
// /dev/tty1 in raw mode so that bytes pass unchanged. A frame is a 4-byte
// big-endian length and that many bytes of JSON (JSON keeps nil and empty
// slices apart, which View equality needs). The guest speaks first
// (hello), then answers every request with one response, in order.

// maxFrame bounds a frame, so that a corrupt length cannot make the reader
// allocate without limit.
const maxFrame = 64 << 20

// Request ops.
const (
	opSetup = "setup" // Space and Agent: the layout to run the oracle in
	opNew   = "new"   // Config: start a world; the response names it
	opStep  = "step"  // World, Tid, Call: one step; Result and View
	opView  = "view"  // World: its View
	opFrame = "frame" // World, Tid, Addr: FrameID
	opClose = "close" // World: end it
	opQuit  = "quit"  // end every world and power the guest off
	opMaps  = "maps"  // World: /proc/PID/smaps of every agent (debugging; in Err)
	// Failure injection, for the tests of the bounded waits: write Call
	// to /proc/sysrq-trigger ("c" panics the kernel), or stop answering.
	opSysrq = "sysrq"
	opHang  = "hang"
)

// request is one message from the host to the guest. Addresses in it are
// guest addresses (relocated by the host, reloc).
type request struct {
	Op    string
	World int         `json:",omitempty"`
	Cfg   abi.Config  `json:",omitempty"`
	Tid   int         `json:",omitempty"`
	Call  string      `json:",omitempty"` // the syscall in trace syntax (abi.ParseSyscall)
	Addr  uint64      `json:",omitempty"`
	Space linux.Space `json:",omitempty"`
	Agent string      `json:",omitempty"` // the agent binary, a host path the guest sees through hostfs
}

// response is the guest's answer to one request, or its hello.
type response struct {
	// Err is a failure: of the request (a bad world or call), or of the
	// world itself (the oracle's driver, linux.Kernel.Err), after which
	// the world refuses every step.
	Err     string     `json:",omitempty"`
	World   int        `json:",omitempty"`
	Result  abi.Result `json:",omitempty"`
	View    *abi.View  `json:",omitempty"`
	Frame   uint64     `json:",omitempty"`
	FrameOK bool       `json:",omitempty"`
	Hello   *hello     `json:",omitempty"`
	// Machine is the guest's machine facts (setup: linux.Machine).
	Machine *abi.Machine `json:",omitempty"`
	// Took is how long the guest spent on the request, in nanoseconds
	// (the rest of a round trip is the channel's).
	Took int64 `json:",omitempty"`
}

// hello is what the guest reports when it is up: the kernel under test.
type hello struct {
	// Release is the kernel's release (uname -r), e.g. "6.1.176".
	Release string
	// TaskSize is the end of user address space, probed (probeTaskSize).
	TaskSize uint64
	// BottomUp says mmap places hint-less mappings bottom-up (the legacy
	// layout: arch_pick_mmap_layout without
	// CONFIG_ARCH_WANT_DEFAULT_TOPDOWN_MMAP_LAYOUT, as User-Mode Linux
	// before 6.? has it), probed (probeBottomUp).
	BottomUp bool
	// Kcmp says kcmp(2) works (CONFIG_KCMP); without it the oracle
	// observes identities through markers (linux/identity.go).
	Kcmp bool
	// FrameNamer says the guest's oracle implements abi.FrameNamer.
	FrameNamer bool
}

func writeFrame(w *bufio.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(b)))
	if _, err := w.Write(n[:]); err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return err
	}
	return w.Flush()
}

func readFrame(r io.Reader, v any) error {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > maxFrame {
		return fmt.Errorf("uml: frame of %d bytes (corrupt channel?)", size)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(r, b); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	return json.Unmarshal(b, v)
}
