#!/usr/bin/env bash
# mutate.sh: mutation testing of impl/ against the property suites, with
# gremlins v0.6.0 (installed here with go install; not a module dependency).
#
# gremlins runs only the mutated package's own tests unless --integration,
# which runs `go test ./...` from the module root for every mutant, and it
# skips mutants its coverage run did not reach, so --coverpkg must name impl
# for the props suite's coverage of impl to count. To make "./..." mean
# impl's own tests plus props (not docs, linux, cmd, nor traces' tests, which
# need the Linux oracle), the run happens in a scratch module holding only
# abi, gen, model, impl, traces and props. The props budget is lowered per
# mutant through RAPID_CHECKS / RAPID_STEPS; GOFLAGS='-run=…' narrows the
# tests further. The baseline (unmutated) run must pass, or gremlins stops.
#
# Usage: props/mutate.sh [extra gremlins flags]
# Output: props/testdata/mutate.json (gitignored) and gremlins' summary.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
go install github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0
gremlins=$(go env GOPATH)/bin/gremlins
work=$(mktemp -d /tmp/forkspec-mutate.XXXXXX)
trap 'rm -rf "$work"' EXIT
(cd "$root" && tar -cf - go.mod go.sum abi gen model impl traces props) | tar -C "$work" -xf -
rm -rf "$work/props/testdata" "$work"/traces/*_test.go
mkdir -p "$root/props/testdata"
cd "$work"
export RAPID_CHECKS=${RAPID_CHECKS:-30} RAPID_STEPS=${RAPID_STEPS:-100} RAPID_NOFAILFILE=1
"$gremlins" unleash --integration --coverpkg github.com/forkspec/forkspec/impl \
  --workers "${WORKERS:-2}" --timeout-coefficient 6 -E 'invariants\.go' \
  -o "$root/props/testdata/mutate.json" "$@" ./impl
