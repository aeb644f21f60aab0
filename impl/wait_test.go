package impl

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
)

// TestWaitListOrder: wait4 -1 reaps in the parent's children-list order, where
// a reparented orphan comes after the parent's own later children.
func TestWaitListOrder(t *testing.T) {
	k := New(abi.Config{})
	run(t, k, `
		1 fork -> 2
		2 fork -> 3
		1 fork -> 4
		3 exit 3 -> exited
		4 exit 4 -> exited
		2 exit 2 -> exited
		1 wait4 -1 0 -> 2 status=exit(2)
		1 wait4 -1 0 -> 4 status=exit(4)
		1 wait4 -1 0 -> 3 status=exit(3)
		1 wait4 -1 0 -> ECHILD
	`)
}

func TestWaitFilters(t *testing.T) {
	k := New(abi.Config{})
	run(t, k, `
		1 clone 0 -> 2
		1 wait4 -1 WNOHANG -> ECHILD
		1 wait4 -1 WNOHANG|__WCLONE -> 0
		2 exit 0 -> exited
		1 wait4 2 0 -> ECHILD
		1 wait4 2 __WALL -> 2
		1 wait4 -1 0x1000 -> EINVAL
	`)
}
