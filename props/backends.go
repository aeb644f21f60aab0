package props

import (
	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/impl"
	"github.com/forkspec/forkspec/model"
)

// Model is the reference semantics, the first backend of every lockstep run.
var Model = Backend{Name: "model", New: func(cfg abi.Config) abi.Kernel { return model.New(cfg) }}

// Impl is the optimized kernel under test.
var Impl = Backend{Name: "impl", New: func(cfg abi.Config) abi.Kernel { return impl.New(cfg) }}
