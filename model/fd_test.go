package model

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
)

func TestFD1_OpenLowestFree(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 open a 0 -> 0
		1 open b O_CLOEXEC -> 1
		1 open c 0 -> 2
		1 close 1 -> 0
		1 open a 0 -> 1
		1 open nope 0 -> ENOENT
		1 open a 0x40 -> unsupported
		1 fcntl 0 F_GETFD 0 -> 0
	`)
	for i := 3; i < abi.FdLimit; i++ {
		w.do(1, "open a 0")
	}
	w.run(`
		1 open a 0 -> EMFILE
		1 dup 0 -> EMFILE
	`)
	w2 := newWorld(t)
	w2.run(`1 open b O_CLOEXEC -> 0`)
	eq(t, "cloexec", w2.fds(1)[0].Cloexec, true)
}

func TestFD2_DupAndSetfd(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 open a O_CLOEXEC -> 0
		1 dup 0 -> 1
		1 fcntl 1 F_GETFD 0 -> 0
		1 fcntl 0 F_GETFD 0 -> 1
		1 fcntl 1 F_SETFD FD_CLOEXEC -> 0
		1 fcntl 1 F_GETFD 0 -> 1
		1 fcntl 0 F_SETFD 0 -> 0
		1 fcntl 0 F_GETFD 0 -> 0
		1 fcntl 0 3 0 -> unsupported
		1 fcntl 5 F_GETFD 0 -> EBADF
		1 dup 7 -> EBADF
	`)
	f := w.fds(1)
	eq(t, "same description", f[0].File, f[1].File)
}

func TestFD3_SharedOffset(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 open a 0 -> 0
		1 dup 0 -> 1
		1 fork -> 2
		2 write 1 10 -> 10
		1 lseek 0 0 SEEK_CUR -> 10
		1 lseek 0 3 SEEK_SET -> 3
		2 lseek 0 0 SEEK_CUR -> 3
		2 lseek 0 0 SEEK_END -> 10
		2 lseek 0 -11 SEEK_END -> EINVAL
		2 lseek 0 0 7 -> EINVAL
		2 write 0 -1 -> EFAULT
		# a separate open has its own offset
		1 open a 0 -> 2
		1 lseek 2 0 SEEK_CUR -> 0
	`)
	v := w.k.View()
	if len(v.Inodes) != 1 || v.Inodes[0] != (abi.InodeView{Path: "a", Size: 10}) {
		t.Fatalf("inodes: %+v", v.Inodes)
	}
}

func TestFD4_CloseIsPerTable(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 open a 0 -> 0
		1 fork -> 2
		1 close 0 -> 0
		2 write 0 5 -> 5
		2 close 0 -> 0
		2 close 0 -> EBADF
		2 close -1 -> EBADF
	`)
	eq(t, "no open files left", len(w.k.View().Files), 0)
}
