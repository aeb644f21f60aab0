package props

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/gen"
	"github.com/forkspec/forkspec/impl"
)

// ImplOnDemand is the impl with on-demand fork (leaf page tables shared at
// fork, copied at the first change; impl/ondemand.go, issue 8), asked for
// explicitly although it is impl's default.
var ImplOnDemand = Backend{Name: "impl-ondemand", New: func(cfg abi.Config) abi.Kernel {
	return impl.New(cfg, impl.WithOnDemandFork(true))
}}

// ImplEager is the impl copying every PTE at fork.
var ImplEager = Backend{Name: "impl-eager", New: func(cfg abi.Config) abi.Kernel {
	return impl.New(cfg, impl.WithOnDemandFork(false))
}}

// TestRefinementOnDemand is TestRefinement with the on-demand impl: the
// model and impl-ondemand in lockstep, every property checked after every
// step. Coverage is not re-required here (TestRefinement does that with the
// same generator).
func TestRefinementOnDemand(t *testing.T) {
	var cov gen.Coverage
	suite{name: t.Name(), checks: CheckAll, backends: []Backend{Model, ImplOnDemand}, cov: &cov}.run(t)
	t.Logf("events over the run:\n%s", cov.String())
}

// TestOnDemandAgreesWithEager runs the model, the eager impl and the
// on-demand impl together, so that a divergence names the configuration.
func TestOnDemandAgreesWithEager(t *testing.T) {
	suite{name: t.Name(), checks: CheckRefusals, backends: []Backend{Model, ImplEager, ImplOnDemand}}.run(t)
}
