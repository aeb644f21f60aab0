package impl

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
)

func TestFdSharingAndRefcounts(t *testing.T) {
	k := New(abi.Config{})
	run(t, k, `
		1 open a O_CLOEXEC -> 0
		1 dup 0 -> 1
		1 clone CLONE_FILES|SIGCHLD -> 2
		1 fork -> 3
	`)
	f := k.tasks[1].files.fds[0].file
	if f.refs != 4 || k.tasks[2].files != k.tasks[1].files || k.tasks[3].files == k.tasks[1].files {
		t.Fatalf("open file refs %d, want 4 (2 fds x 2 tables); CLONE_FILES shares the table, fork copies it", f.refs)
	}
	run(t, k, `
		3 execve true -> execed
		3 fcntl 0 F_GETFD 0 -> EBADF
		3 fcntl 1 F_GETFD 0 -> 0
	`)
	if f.refs != 3 {
		t.Fatalf("after exec closed the cloexec fd: refs %d, want 3", f.refs)
	}
	run(t, k, `
		2 execve true -> execed
		1 fcntl 0 F_GETFD 0 -> 1
		3 write 1 4 -> 4
		1 lseek 0 0 SEEK_CUR -> 4
	`)
	if k.tasks[2].files == k.tasks[1].files {
		t.Fatal("EXEC-4: exec must unshare a CLONE_FILES table")
	}
}
