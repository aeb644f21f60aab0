package docs

import (
	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/impl"
	"github.com/forkspec/forkspec/linux"
	"github.com/forkspec/forkspec/model"
	"github.com/forkspec/forkspec/traces"
)

// specBackends are the kernels every spec runs on: the model, the impl and,
// when linux.Available says it can run here, the Linux oracle. why says why
// the oracle is not among them ("" when it is).
func specBackends() (bs []traces.Backend, why string) {
	bs = []traces.Backend{
		{Name: "model", New: func(c abi.Config) abi.Kernel { return model.New(c) }},
		{Name: "impl", New: func(c abi.Config) abi.Kernel { return impl.New(c) }},
	}
	if ok, why := linux.Available(); !ok {
		return bs, why
	}
	return append(bs, traces.Backend{Name: LinuxColumn, New: linux.Backend}), ""
}
