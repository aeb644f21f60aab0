#!/usr/bin/env bash
# fuzz.sh: `go test -fuzz` over each PKG:TARGET in turn for FUZZTIME, then a
# table of each target's executions per second (its execs over its fuzzing
# time, from go test's last "fuzz: elapsed" line). A target that fails does
# not stop the others; the script exits 1 if any failed.
#
# Each new interesting input is minimized for at most FUZZMINIMIZE (go test's
# -fuzzminimizetime, a count like 100x or a time). Go's default, 60s per
# input, stalls the runs: while inputs are being minimized the exec count
# stops, for seconds at a time on the props machine and on the docs parser's
# page-sized seeds. A crasher is minimized within the same bound; re-run its
# target with a larger FUZZMINIMIZE to shrink it further.
#
# Usage: FUZZTIME=60s FUZZMINIMIZE=100x scripts/fuzz.sh abi:FuzzParseSyscall ...
set -uo pipefail
cd "$(dirname "$0")/.."
go=${GO:-go}
fuzztime=${FUZZTIME:-60s}
minimize=${FUZZMINIMIZE:-100x}
logs=$(mktemp -d /tmp/forkspec-fuzz.XXXXXX)
trap 'rm -rf "$logs"' EXIT

# seconds D: a Go duration as go test prints it (31s, 1m2s, 1h0m3s) in seconds.
seconds() {
  local d=$1 s=0 n
  while [[ $d =~ ^([0-9.]+)([hms])(.*)$ ]]; do
    n=${BASH_REMATCH[1]%.*}
    case ${BASH_REMATCH[2]} in h) s=$((s + n * 3600)) ;; m) s=$((s + n * 60)) ;; s) s=$((s + n)) ;; esac
    d=${BASH_REMATCH[3]}
  done
  echo "$s"
}

rows=() fail=0
for spec in "$@"; do
  pkg=${spec%%:*} target=${spec#*:}
  echo "== fuzz $pkg $target for $fuzztime (minimizing each new input for at most $minimize)"
  log=$logs/$pkg-$target
  status=ok
  if ! "$go" test "./$pkg" -run '^$' -fuzz "^$target\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimize" 2>&1 | tee "$log"; then
    status=FAIL fail=1
  fi
  # fuzz: elapsed: 31s, execs: 12105 (0/sec), new interesting: 15 (total: 15)
  last=$(grep -E '^fuzz: elapsed: ' "$log" | tail -1)
  if [[ $last =~ elapsed:\ ([0-9hms.]+),\ execs:\ ([0-9]+).*new\ interesting:\ ([0-9]+) ]]; then
    secs=$(seconds "${BASH_REMATCH[1]}") execs=${BASH_REMATCH[2]} interesting=${BASH_REMATCH[3]}
    rate=$((execs / (secs > 0 ? secs : 1)))
    rows+=("$(printf '%-6s %-7s %-20s %10d execs in %5ds  %8d execs/s  %5d new interesting' \
      "$status" "$pkg" "$target" "$execs" "$secs" "$rate" "$interesting")")
  else
    rows+=("$(printf '%-6s %-7s %-20s (no fuzzing statistics: see the output above)' "$status" "$pkg" "$target")")
  fi
done

echo
echo "== fuzz summary (FUZZTIME=$fuzztime each, FUZZMINIMIZE=$minimize)"
printf '%s\n' "${rows[@]}"
exit $fail
