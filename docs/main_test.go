package docs

import (
	"os"
	"testing"

	"github.com/forkspec/forkspec/uml"
)

// TestMain serves as the init of a kernel under test when -uml booted
// this test binary as one (uml.MaybeGuest), and powers that kernel off
// after the tests.
func TestMain(m *testing.M) {
	uml.MaybeGuest()
	code := m.Run()
	uml.CloseShared()
	os.Exit(code)
}
