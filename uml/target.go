package uml

import (
	"fmt"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/model"
	"github.com/forkspec/forkspec/traces"
)

// What the kernel under test is (abi.Target), and which steps and traces it
// can run as written.

// Fits reports whether the guest can represent every address the step
// names (reloc.go); why says which address cannot be.
func (m *Machine) Fits(sc abi.Syscall) (ok bool, why string) {
	_, why = m.rel.syscall(sc)
	return why == "", why
}

// TraceFits says why the guest cannot run trace t as it is written, or ""
// when it can: a step names an address its address space cannot represent
// (Fits), or the kernel's target refuses a step (abi.TargetRefusal), as
// the model, following that target, shows when it replays the trace.
func (m *Machine) TraceFits(t *traces.Trace) string {
	if why := m.factsDiffer(t.Options.Config().Machine); why != "" {
		return why
	}
	for _, s := range t.Steps {
		if ok, why := m.Fits(s.Call); !ok {
			return fmt.Sprintf("line %d: %s", s.Line, why)
		}
	}
	cfg := t.Options.Config()
	cfg.Target = m.Target()
	w := model.New(cfg)
	for _, s := range t.Steps {
		why := abi.TargetRefusal(cfg.Target, s.Call, ProtAt(w.View(), s.Tid))
		if why == "" {
			why = abi.TargetLibcRefusal(cfg.Target, w.View(), s.Tid, s.Call)
		}
		if why != "" {
			if r := w.Step(s.Tid, s.Call); r.Outcome == abi.OutcomeUnsupported {
				return fmt.Sprintf("line %d: refused on %s: %s", s.Line, describe(cfg.Target), why)
			}
			continue
		}
		w.Step(s.Tid, s.Call)
	}
	return ""
}

// Facts are the guest's machine facts (linux.Machine inside it), which a
// world run next to the kernel under test names to be compared with it.
func (m *Machine) Facts() abi.Machine { return m.facts }

// factsDiffer says which machine fact a world names that the guest does
// not have, or "": the oracle there cannot answer what depends on it.
func (m *Machine) factsDiffer(w abi.Machine) string {
	g := m.facts
	switch {
	case w.PKU != abi.FeatureUnknown && w.PKU != g.PKU:
		return fmt.Sprintf("the trace names pku=%s; the kernel under test has pku=%s", w.PKU, g.PKU)
	case w.CommitPages != 0 && w.CommitPages != g.CommitPages:
		return fmt.Sprintf("the trace names commit-pages=%d; the kernel under test commits %d", w.CommitPages, g.CommitPages)
	case w.DacMmapMinAddr != 0 && w.DacMmapMinAddr != g.DacMmapMinAddr:
		return fmt.Sprintf("the trace names dac-mmap-min-addr=%d; the kernel under test has %d", w.DacMmapMinAddr, g.DacMmapMinAddr)
	}
	return ""
}

// ProtAt returns, for abi.TargetRefusal, the protection of the mapping
// that holds an address in task tid's address space, as View v shows it.
func ProtAt(v abi.View, tid int) func(uint64) (int64, bool) {
	return func(addr uint64) (int64, bool) {
		mm := 0
		for _, t := range v.Tasks {
			if t.Tid == tid {
				mm = t.Mm
			}
		}
		for _, m := range v.Mms {
			if m.ID != mm || mm == 0 {
				continue
			}
			for _, mp := range m.Mappings {
				if addr >= mp.Start && addr < mp.End {
					return mp.Prot, true
				}
			}
		}
		return 0, false
	}
}

// Target is the kernel under test as a world names it (abi.Target): its
// release, User-Mode Linux, and the mmap layout the guest showed.
func (m *Machine) Target() abi.Target {
	r, err := abi.ParseRelease(m.Release)
	if err != nil {
		r = abi.Release(m.Release)
	}
	t := abi.Target{Release: r, Arch: abi.ArchUM}
	if m.hello.BottomUp {
		t.Layout = abi.LayoutBottomUp
	}
	return t
}

// describe names a target for messages: "Linux 6.1 (um, bottom-up)".
func describe(t abi.Target) string {
	arch := string(t.Arch)
	if arch == "" {
		arch = "x86-64"
	}
	return fmt.Sprintf("Linux %s (%s, %s mmap)", t.Kernel(), arch, t.Layout)
}
