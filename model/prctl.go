package model

import "github.com/forkspec/forkspec/abi"

// sysPrctl is prctl(2) with PR_SET_CHILD_SUBREAPER / PR_GET_CHILD_SUBREAPER
// (REAP-1). The mark is per process and not inherited (FORK-5). The option
// is a C int.
//
// PR_GET_CHILD_SUBREAPER writes the flag through the pointer in Arg on
// Linux and returns 0; the model has no user pointer to write through, so
// it returns the flag (0 or 1) as Ret and ignores Arg.
func (k *Kernel) sysPrctl(t *task, s abi.Prctl) abi.Result {
	switch i32(s.Option) {
	case abi.PR_SET_CHILD_SUBREAPER:
		t.group.subreaper = s.Arg != 0
		return abi.Ok(0)
	case abi.PR_GET_CHILD_SUBREAPER:
		if t.group.subreaper {
			return abi.Ok(1)
		}
		return abi.Ok(0)
	}
	return abi.Refuse(abi.OutcomeUnsupported) // refused before the step (abi.Refusal)
}
