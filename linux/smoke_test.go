package linux

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
)

const heap = abi.ArenaStart + 0x200000 // init's read-write mapping

func TestSmoke(t *testing.T) {
	lockstep(t, abi.Config{}, []step{
		{1, abi.Fork{}},
		{2, abi.Store{Addr: heap, Value: 7}},
		{2, abi.Load{Addr: heap}},
		{1, abi.Load{Addr: heap}},
		{1, abi.Vfork{}},
		{3, abi.Store{Addr: heap + 4096, Value: 9}},
		{1, abi.Getpid{}},
		{3, abi.Exit{Code: 3}},
		{1, abi.Wait4{Pid: -1, Options: abi.WNOHANG}},
		{1, abi.Wait4{Pid: -1, Options: abi.WNOHANG}},
		{2, abi.Execve{Image: "worker"}},
		{2, abi.Fork{}},
		{4, abi.Store{Addr: abi.ArenaStart + 0x40000000, Value: 5}},
		{2, abi.Clone{Flags: abi.CLONE_VM | abi.CLONE_SIGHAND | abi.CLONE_THREAD}},
		{5, abi.Exit{Code: 1}},
		{2, abi.ExitGroup{Code: 4}},
	})
}
