#!/usr/bin/env bash
# mutate.sh: mutation testing of impl/ against the property suites, with
# gremlins v0.6.0 (installed here with go install; not a module dependency).
#
# gremlins runs only the mutated package's own tests unless --integration,
# which runs `go test ./...` from the module root for every mutant. To make
# that "./..." mean impl's tests plus the props suite (and not docs, linux,
# cmd), the run happens in a scratch module holding only abi, gen, model,
# impl, traces and props. The props budget is lowered for the run through
# RAPID_CHECKS / RAPID_STEPS (override them to taste); -failfast ends a
# killed mutant's run at its first failure.
#
# Usage: props/mutate.sh [extra gremlins flags]   (from anywhere)
# Output: props/testdata/mutate.json (gitignored) and gremlins' summary.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
go install github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0
gremlins=$(go env GOPATH)/bin/gremlins
work=$(mktemp -d /tmp/forkspec-mutate.XXXXXX)
trap 'rm -rf "$work"' EXIT
(cd "$root" && tar -cf - go.mod go.sum abi gen model impl traces props) | tar -C "$work" -xf -
rm -rf "$work/props/testdata"
mkdir -p "$root/props/testdata"
cd "$work"
export RAPID_CHECKS=${RAPID_CHECKS:-60} RAPID_STEPS=${RAPID_STEPS:-80} RAPID_NOFAILFILE=1
"$gremlins" unleash --integration --workers 1 --timeout-coefficient 4 \
  -o "$root/props/testdata/mutate.json" "$@" ./impl
