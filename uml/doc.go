// Package uml is the kernel-under-test backend: the Linux oracle (package
// linux) run inside another kernel, booted as User-Mode Linux — a kernel
// built with make ARCH=um runs as an ordinary process, in seconds, with no
// VM. Debian's user-mode-linux package (6.1) is the default kernel.
//
// # How it works
//
// Boot starts the kernel with this machine's / as a read-only hostfs root
// and this very program as its init. MaybeGuest, which every program that
// may start the backend calls first, turns that process, in the guest,
// into the guest server (guest.go): it mounts a private tmpfs, probes the
// kernel (TASK_SIZE, the mmap layout, kcmp), and serves linux.Kernel
// worlds over the guest's second console line, mapped to a pipe pair on
// the host (proto.go). The host (machine.go) builds the agent for the
// guest's address space and bounds every wait: a kernel that does not
// boot, panics, hangs or garbles the channel is an error, never a hang.
// One boot serves every world of a process (Shared).
//
// Kernel (kernel.go) is one world as an abi.Kernel. Trace addresses are
// written in this machine's layout and relocated into the guest's smaller
// address space (reloc.go); a step that names an address the guest cannot
// hold is refused. The kernel under test is a world target (abi.Target,
// target.go): the model follows its rules where it differs from this
// machine's, and abi.TargetRefusal names the steps every backend refuses
// on it.
//
// docs/kernel-under-test.md is the user's guide: checking a patched
// kernel tree, the differences found on 6.1, the cost.
//
// Where to start reading: machine.go (boot and the channel's host side),
// guest.go (the guest side), reloc.go (relocation), kernel.go.
package uml
