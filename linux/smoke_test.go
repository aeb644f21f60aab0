package linux

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
)

func TestSmoke(t *testing.T) {
	k := newWorld(t, abi.Config{})
	t.Logf("%+v", view(t, k))
	do(t, k, 1, abi.Fork{})
	t.Logf("%+v", view(t, k))
}
