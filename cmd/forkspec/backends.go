package main

import (
	"fmt"
	"strings"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/impl"
	"github.com/forkspec/forkspec/model"
	"github.com/forkspec/forkspec/traces"
)

// backends are the kernels forkspec can run, by name.
var backends = map[string]traces.Backend{
	"model": {Name: "model", New: func(c abi.Config) abi.Kernel { return model.New(c) }},
	"impl":  {Name: "impl", New: func(c abi.Config) abi.Kernel { return impl.New(c) }},
}

// pickBackends resolves a -backend value: one name, "both" (model and
// impl), or a comma-separated list.
func pickBackends(spec string) ([]traces.Backend, error) {
	names := strings.Split(spec, ",")
	if spec == "both" {
		names = []string{"model", "impl"}
	}
	var out []traces.Backend
	for _, n := range names {
		b, ok := backends[strings.TrimSpace(n)]
		if !ok {
			return nil, fmt.Errorf("unknown backend %q (want model, impl, both, or a comma-separated list)", n)
		}
		out = append(out, b)
	}
	return out, nil
}
