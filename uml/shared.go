package uml

import (
	"sync"

	"github.com/forkspec/forkspec/abi"
)

// shared holds one booted Machine per kernel binary for the process.
var shared struct {
	sync.Mutex
	machines map[string]*Machine
	errs     map[string]error
}

// Shared returns this process's Machine for kernel ("" is DefaultKernel),
// booting it on first use; one boot serves every world of the process. A
// boot that failed is not retried: its error is returned again.
func Shared(kernel string) (*Machine, error) {
	if kernel == "" {
		kernel = DefaultKernel
	}
	shared.Lock()
	defer shared.Unlock()
	if m := shared.machines[kernel]; m != nil {
		return m, nil
	}
	if err := shared.errs[kernel]; err != nil {
		return nil, err
	}
	m, err := Boot(kernel)
	if shared.machines == nil {
		shared.machines, shared.errs = map[string]*Machine{}, map[string]error{}
	}
	if err != nil {
		shared.errs[kernel] = err
		return nil, err
	}
	shared.machines[kernel] = m
	return m, nil
}

// CloseShared powers off every Machine Shared booted.
func CloseShared() {
	shared.Lock()
	defer shared.Unlock()
	for k, m := range shared.machines {
		m.Close()
		delete(shared.machines, k)
	}
}

// Backend returns a constructor with the signature traces.Backend.New
// wants, for worlds in the Shared machine of kernel. When the machine or
// the world cannot start, the Kernel refuses every step and Err says why.
func Backend(kernel string) func(abi.Config) abi.Kernel {
	return func(cfg abi.Config) abi.Kernel {
		m, err := Shared(kernel)
		if err != nil {
			return &Kernel{err: err, closed: true}
		}
		k, err := m.New(cfg)
		if err != nil {
			return &Kernel{m: m, err: err, closed: true}
		}
		return k.kernel()
	}
}
