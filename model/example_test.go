package model_test

import (
	"fmt"
	"strings"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/model"
)

// play runs steps written as "TID SYSCALL ARGS" and prints each with its
// result, in trace syntax.
func play(k *model.Kernel, script string) {
	for _, line := range strings.Split(strings.TrimSpace(script), "\n") {
		line = strings.TrimSpace(line)
		var tid int
		fmt.Sscan(line, &tid)
		_, call, _ := strings.Cut(line, " ")
		sc, err := abi.ParseSyscall(call)
		if err != nil {
			fmt.Println("bad step:", err)
			return
		}
		fmt.Printf("%d %v -> %v\n", tid, sc, k.Step(tid, sc))
	}
}

// frames prints, for one page address, the canonical frame each task's
// address space maps there (0: no frame).
func frames(k *model.Kernel, addr uint64, tids ...int) {
	v := k.View()
	var out []string
	for _, tid := range tids {
		frame := 0
		for _, t := range v.Tasks {
			if t.Tid != tid {
				continue
			}
			for _, m := range v.Mms {
				if m.ID != t.Mm {
					continue
				}
				for _, p := range m.Pages {
					if p.Addr == addr {
						frame = p.Frame
					}
				}
			}
		}
		out = append(out, fmt.Sprintf("task %d frame %d", tid, frame))
	}
	fmt.Println(strings.Join(out, ", "))
}

func state(k *model.Kernel, tid int) string {
	for _, t := range k.View().Tasks {
		if t.Tid == tid {
			return fmt.Sprintf("task %d: %v ppid=%d", tid, t.State, t.Ppid)
		}
	}
	return fmt.Sprintf("task %d: gone", tid)
}

// Fork copies memory copy-on-write: right after fork parent and child map
// the same frame; the child's store gives it a new one, and neither sees the
// other's stores (FORK-2, MEM-1, COW-1, COW-2).
func Example_forkCopyOnWrite() {
	k := model.New(abi.Config{})
	play(k, `
		1 fork
		2 store 0x100000200000 0x2a`)
	frames(k, 0x100000201000, 1, 2)
	frames(k, 0x100000200000, 1, 2)
	play(k, `
		1 load 0x100000200000
		2 load 0x100000200000`)
	// Output:
	// 1 fork -> 2
	// 2 store 0x100000200000 0x2a -> 0
	// task 1 frame 3, task 2 frame 3
	// task 1 frame 2, task 2 frame 4
	// 1 load 0x100000200000 -> 33
	// 2 load 0x100000200000 -> 42
}

// A vfork parent is frozen until its child execs or exits; a failed exec
// does not release it (VFORK-2, VFORK-3).
func Example_vforkFreezeAndRelease() {
	k := model.New(abi.Config{})
	play(k, `
		1 vfork
		1 getpid
		2 store 0x100000200000 7
		2 execve nope
		2 execve sh
		1 load 0x100000200000`)
	fmt.Println(state(k, 1))
	// Output:
	// 1 vfork -> 2 frozen
	// 1 getpid -> task-frozen
	// 2 store 0x100000200000 0x7 -> 0
	// 2 execve nope -> ENOENT
	// 2 execve sh -> execed
	// 1 load 0x100000200000 -> 7
	// task 1: running ppid=0
}

// CLONE_VM shares one address space: stores and mappings by either are seen
// by both, and no copy-on-write happens (CLONE-1).
func Example_cloneVmSharing() {
	k := model.New(abi.Config{})
	play(k, `
		1 fork
		2 clone CLONE_VM|SIGCHLD
		3 mmap 0x100000400000 0x1000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED
		3 store 0x100000400000 5
		2 load 0x100000400000`)
	frames(k, 0x100000400000, 2, 3)
	// Output:
	// 1 fork -> 2
	// 2 clone CLONE_VM|SIGCHLD -> 3
	// 3 mmap 0x100000400000 0x1000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS -> 0x100000400000
	// 3 store 0x100000400000 0x5 -> 0
	// 2 load 0x100000400000 -> 5
	// task 2 frame 4, task 3 frame 4
}

// execve replaces memory, closes close-on-exec fds and resets caught
// signals, but keeps the pid, ignored signals and other fds (EXEC-1,
// EXEC-3, EXEC-4).
func Example_execResets() {
	k := model.New(abi.Config{})
	play(k, `
		1 fork
		2 open a O_CLOEXEC
		2 open b 0
		2 sigaction SIGUSR1 handler 0
		2 sigaction SIGUSR2 SIG_IGN 0
		2 execve true
		2 getpid
		2 load 0x100000000000
		2 fcntl 0 F_GETFD 0
		2 fcntl 1 F_GETFD 0`)
	v := k.View()
	for _, t := range v.Tasks {
		if t.Tid != 2 {
			continue
		}
		fmt.Println("image:", t.Image)
		for _, s := range v.Sighands {
			if s.ID == t.Sighand {
				for _, a := range s.Actions {
					fmt.Println("action:", abi.SignalName(a.Sig), a.Handler)
				}
			}
		}
	}
	// Output:
	// 1 fork -> 2
	// 2 open a O_CLOEXEC -> 0
	// 2 open b 0 -> 1
	// 2 sigaction SIGUSR1 handler 0 -> 0
	// 2 sigaction SIGUSR2 SIG_IGN 0 -> 0
	// 2 execve true -> execed
	// 2 getpid -> 2
	// 2 load 0x100000000000 -> 113
	// 2 fcntl 0 F_GETFD 0 -> EBADF
	// 2 fcntl 1 F_GETFD 0 -> 0
	// image: true
	// action: SIGUSR2 SIG_IGN
}

// An exited process is a zombie holding its status until its parent reaps
// it; then it is gone (EXIT-3, WAIT-1).
func Example_zombieAndReaping() {
	k := model.New(abi.Config{})
	play(k, `
		1 fork
		2 exit_group 3
		2 getpid`)
	fmt.Println(state(k, 2))
	play(k, `
		1 wait4 -1 WNOHANG
		1 wait4 2 WNOHANG`)
	fmt.Println(state(k, 2))
	// Output:
	// 1 fork -> 2
	// 2 exit_group 3 -> exited
	// 2 getpid -> zombie
	// task 2: zombie ppid=1
	// 1 wait4 -1 WNOHANG -> 2 status=exit(3)
	// 1 wait4 2 WNOHANG -> ECHILD
	// task 2: gone
}

// Orphans go to the nearest living ancestor marked subreaper, else to init
// (REAP-1).
func Example_reparentToSubreaper() {
	k := model.New(abi.Config{})
	play(k, `
		1 fork
		2 prctl PR_SET_CHILD_SUBREAPER 1
		2 fork
		3 fork
		3 exit_group 0
		4 getppid
		2 exit_group 0
		4 getppid`)
	// Output:
	// 1 fork -> 2
	// 2 prctl PR_SET_CHILD_SUBREAPER 1 -> 0
	// 2 fork -> 3
	// 3 fork -> 4
	// 3 exit_group 0 -> exited
	// 4 getppid -> 2
	// 2 exit_group 0 -> exited
	// 4 getppid -> 1
}
