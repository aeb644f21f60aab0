package uml

import (
	"flag"
	"os"
	"testing"
)

// testKernel is the User-Mode Linux kernel the tests boot.
var testKernel = flag.String("uml.kernel", DefaultKernel, "the User-Mode Linux kernel the uml tests boot")

// TestMain serves as the guest's init when the test binary is booted as
// one (MaybeGuest), and powers off the shared machine after the tests.
func TestMain(m *testing.M) {
	MaybeGuest()
	code := m.Run()
	CloseShared()
	os.Exit(code)
}
