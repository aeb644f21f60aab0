package docs

import (
	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/model"
	"github.com/forkspec/forkspec/traces"
)

// linuxName heads the Linux oracle's column and names its subtests.
const linuxName = "Linux"

// specBackends are the kernels every spec runs on. why says why the Linux
// oracle is not among them ("" when it is).
func specBackends() (bs []traces.Backend, why string) {
	bs = []traces.Backend{
		{Name: "model", New: func(c abi.Config) abi.Kernel { return model.New(c) }},
	}
	return bs, "the impl and linux backends are not wired yet"
}
