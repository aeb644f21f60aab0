package linux

import (
	"sort"
	"testing"

	"github.com/forkspec/forkspec/abi"
)

// useMarkers switches this process's worlds to the identity markers of a
// kernel without kcmp (identity.go) until the test ends, on this machine's
// layout: the View must not change.
func useMarkers(t *testing.T) {
	t.Helper()
	if ok, why := Available(); !ok {
		t.Skip(why)
	}
	s := HostSpace
	s.MarkIDs = true
	bin, err := BuildAgent(s)
	if err != nil {
		t.Fatal(err)
	}
	oldSpace, oldAgent := space, agentOverride
	if err := UseSpace(s, bin); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { space, agentOverride = oldSpace, oldAgent })
}

// identityScenarios share and copy every object that kcmp would name, with
// frozen vfork parents on either side (the probes need a task that runs).
var identityScenarios = map[string][]step{
	// CLONE_SIGHAND across groups, a frozen parent sharing it, and a
	// vfork chain in which two frozen tasks share a table.
	"sighand-across-groups": {
		{1, abi.Fork{}},
		{2, abi.Sigaction{Sig: abi.SIGUSR1, Handler: abi.SigHandle}},
		{2, abi.Clone{Flags: abi.CLONE_VM | abi.CLONE_SIGHAND | abi.SIGCHLD}},
		{3, abi.Sigaction{Sig: abi.SIGUSR2, Handler: abi.SigIgnore}},
		{2, abi.Clone{Flags: abi.CLONE_VM | abi.CLONE_SIGHAND | abi.CLONE_VFORK | abi.SIGCHLD}},
		{4, abi.Clone{Flags: abi.CLONE_VM | abi.CLONE_SIGHAND | abi.CLONE_VFORK | abi.SIGCHLD}},
		{5, abi.Vfork{}},
		{6, abi.Sigaction{Sig: abi.SIGUSR1, Handler: abi.SigDefault}},
		{3, abi.Sigaction{Sig: abi.SIGHUP, Handler: abi.SigIgnore}},
		{6, abi.Execve{Image: "true"}},
		{5, abi.Execve{Image: "sh"}},
	},
	// Open files shared by fork, dup and CLONE_FILES, compared while the
	// tables' holders are frozen.
	"files": {
		{1, abi.Fork{}},
		{2, abi.Open{Path: "a"}},
		{2, abi.Open{Path: "a"}},
		{2, abi.Dup{Fd: 0}},
		{2, abi.Fork{}},
		{3, abi.Write{Fd: 0, N: 5}},
		{2, abi.Clone{Flags: abi.CLONE_FILES | abi.CLONE_VFORK | abi.SIGCHLD}},
		{4, abi.Vfork{}},
		{5, abi.Close{Fd: 2}},
		{5, abi.Lseek{Fd: 1, Offset: 3, Whence: abi.SEEK_SET}},
		{5, abi.Exit{Code: 0}},
		{4, abi.Open{Path: "b"}},
		{4, abi.ExitGroup{Code: 0}},
		{2, abi.Close{Fd: 0}},
	},
	// CLONE_FS: a umask change shows through every sharer, frozen or not.
	"fs": {
		{1, abi.Clone{Flags: abi.CLONE_FS | abi.SIGCHLD}},
		{2, abi.Umask{Mask: 0o077}},
		{2, abi.Clone{Flags: abi.CLONE_FS | abi.CLONE_VFORK | abi.SIGCHLD}},
		{3, abi.Fork{}},
		{4, abi.Umask{Mask: 0o007}},
		{3, abi.Umask{Mask: 0o070}},
		{3, abi.Execve{Image: "true"}},
	},
}

// probesUsed names the scenarios that must flip (and, when true, also
// recall a frozen pair's answer from the previous View).
var probesUsed = map[string]bool{
	"identity/sighand-across-groups": true,
	"identity/files":                 true,
}

// TestIdentityWithoutKcmp runs every scenario with the markers and probes
// that replace kcmp, in lockstep with the model: the View must be the one
// kcmp gives.
func TestIdentityWithoutKcmp(t *testing.T) {
	useMarkers(t)
	all := map[string][]step{}
	for n, s := range scenarios {
		all[n] = s
	}
	for n, s := range identityScenarios {
		all["identity/"+n] = s
	}
	var names []string
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			cfg := abi.Config{}
			if name == "limit" {
				cfg.MaxTasks = 3
			}
			k := lockstep(t, cfg, all[name])
			if want, ok := probesUsed[name]; ok && (k.ids.flips == 0 || want && k.ids.recalled == 0) {
				t.Errorf("%d probes, %d answers recalled: the scenario does not exercise what it is for", k.ids.flips, k.ids.recalled)
			}
		})
	}
}

// TestIdentityScenariosWithKcmp runs the identity scenarios with kcmp, so
// that they are known to describe Linux before they test the markers.
func TestIdentityScenariosWithKcmp(t *testing.T) {
	if ok, why := Available(); !ok {
		t.Skip(why)
	}
	for name, steps := range identityScenarios {
		t.Run(name, func(t *testing.T) { lockstep(t, abi.Config{}, steps) })
	}
}
