package main

import (
	"fmt"
	"strings"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/impl"
	"github.com/forkspec/forkspec/linux"
	"github.com/forkspec/forkspec/model"
	"github.com/forkspec/forkspec/traces"
)

// backends are the kernels forkspec can run, by name.
var backends = map[string]traces.Backend{
	"model": {Name: "model", New: func(c abi.Config) abi.Kernel { return model.New(c) }},
	"impl":  {Name: "impl", New: func(c abi.Config) abi.Kernel { return impl.New(c) }},
	// The real kernel (needs root and cc; see linux.Available). Tasks
	// are real processes, released by traces.Lock's Close.
	"linux": {Name: "linux", New: linux.Backend},
}

// pickBackends resolves a -backend value: one name, "both" (model and
// impl), or a comma-separated list naming each backend at most once (two
// copies of one backend compare nothing and share a column name). linux is
// refused where it cannot run.
func pickBackends(spec string) ([]traces.Backend, error) {
	names := strings.Split(spec, ",")
	if spec == "both" {
		names = []string{"model", "impl"}
	}
	var out []traces.Backend
	seen := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if seen[n] {
			return nil, fmt.Errorf("backend %q named twice in %q (name each backend once)", n, spec)
		}
		seen[n] = true
		if n == "uml" {
			b, err := umlBackend()
			if err != nil {
				return nil, err
			}
			out = append(out, b)
			continue
		}
		b, ok := backends[n]
		if !ok {
			return nil, fmt.Errorf("unknown backend %q (want model, impl, linux, uml, both, or a comma-separated list)", n)
		}
		if n == "linux" {
			if ok, why := linux.Available(); !ok {
				return nil, fmt.Errorf("backend linux cannot run here: %s", why)
			}
		}
		out = append(out, b)
	}
	return out, nil
}
