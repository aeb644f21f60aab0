#!/usr/bin/env bash
# mutate.sh: mutation testing of impl/ against the property suites, with
# gremlins v0.6.0 (installed here with go install into BIN, default .bin/ at
# the module root, whatever GOBIN says; not a module dependency).
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
# gremlins does not say how many mutants there are, so a dry run (one
# coverage run of the suites, about half a minute) counts them first; then
# every mutant's line is numbered, with the time so far and the time left at
# the rate so far. MUTATE_TIME (a sleep(1) duration: 300, 5m, 2h) stops the
# run after that long with one SIGINT to gremlins, as ^C does; the counts of
# what ran are printed either way. (timeout(1) would not do: gremlins panics
# on a second SIGINT, and timeout forwards the terminal's ^C as another.)
#
# Go caches test results, and the baseline coverage run is the same test run
# every time, so its time would come from the cache (1-2 s instead of ~20 s)
# and gremlins, which times out each mutant at a multiple of it, would call
# slow mutants TIMED OUT. -count=1 in GOFLAGS keeps it real.
#
# Usage: [MUTATE_TIME=5m] [WORKERS=2] props/mutate.sh [extra gremlins flags]
# Output: props/testdata/mutate.json (gitignored; a complete run only) and
# gremlins' summary.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BIN:-$root/.bin}
GOBIN=$bin go install github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0
gremlins=$bin/gremlins
work=$(mktemp -d /tmp/forkspec-mutate.XXXXXX)
timer=
trap 'rm -rf "$work" "$work".*; [ -z "$timer" ] || kill "$timer" 2>/dev/null || true' EXIT
(cd "$root" && tar -cf - go.mod go.sum abi gen model impl traces props) | tar -C "$work" -xf -
rm -rf "$work/props/testdata" "$work"/traces/*_test.go
mkdir -p "$root/props/testdata"
cd "$work"
export RAPID_CHECKS=${RAPID_CHECKS:-30} RAPID_STEPS=${RAPID_STEPS:-100} RAPID_NOFAILFILE=1
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-count=1"
flags=(--integration --coverpkg github.com/forkspec/forkspec/impl
  --workers "${WORKERS:-2}" --timeout-coefficient 6 -E 'invariants\.go' "$@")

echo "mutate: counting the mutants (a dry run: one coverage run of the suites)"
"$gremlins" unleash --dry-run "${flags[@]}" ./impl >"$work.dry" 2>&1 || { cat "$work.dry"; exit 1; }
total=$(grep -c '^ *RUNNABLE ' "$work.dry" || true)
uncovered=$(grep -c '^ *NOT COVERED ' "$work.dry" || true)
echo "mutate: $total mutants to test, ${WORKERS:-2} at a time ($uncovered more that no test reaches are not run)"

# number: prints gremlins' output with every mutant's line numbered and
# timed, then the counts so far. It ignores SIGINT and SIGTERM, so that it
# reads on until gremlins has shut down and can always print the counts.
number() {
  trap '' INT TERM
  local line done=0 start=$SECONDS elapsed left status
  local -A count=()
  while IFS= read -r line; do
    if [[ $line =~ ^\ *(KILLED|LIVED|TIMED\ OUT|NOT\ VIABLE|SKIPPED)\ (.*)$ ]]; then
      status=${BASH_REMATCH[1]}
      count[$status]=$((${count[$status]:-0} + 1))
      done=$((done + 1))
      elapsed=$((SECONDS - start))
      left=$((elapsed * (total - done) / done))
      printf '[%*d/%d] %-11s %s  (%s so far, about %s left)\n' ${#total} "$done" "$total" "$status" \
        "${BASH_REMATCH[2]}" "$(clock $elapsed)" "$(clock $left)"
      continue
    fi
    [[ $line == *"Gathering coverage... done"* ]] && start=$SECONDS
    printf '%s\n' "$line"
  done
  local killed=${count[KILLED]:-0} lived=${count[LIVED]:-0}
  printf 'mutate: %d of %d mutants tested: %d killed, %d lived, %d timed out, %d not viable' \
    "$done" "$total" "$killed" "$lived" "${count[TIMED OUT]:-0}" "${count[NOT VIABLE]:-0}"
  if ((killed + lived > 0)); then
    printf '; efficacy %d.%d%%' $((killed * 100 / (killed + lived))) $((killed * 1000 / (killed + lived) % 10))
  fi
  echo
}

# clock S: S seconds as 1h02m03s, 2m03s or 3s.
clock() {
  local s=$1
  if ((s >= 3600)); then printf '%dh%02dm%02ds' $((s / 3600)) $((s % 3600 / 60)) $((s % 60))
  elif ((s >= 60)); then printf '%dm%02ds' $((s / 60)) $((s % 60))
  else printf '%ds' "$s"; fi
}

if [ -n "${MUTATE_TIME:-}" ]; then
  # A sleep(1) duration: a number with an optional unit. (Checking it by
  # running sleep would wait the whole duration before the run starts.)
  [[ $MUTATE_TIME =~ ^[0-9]+(\.[0-9]+)?[smhd]?$ ]] ||
    { echo "mutate: MUTATE_TIME=$MUTATE_TIME is not a sleep(1) duration" >&2; exit 2; }
  # The timer: after MUTATE_TIME, one SIGINT to gremlins (its pid is in
  # $work.pid, written by the shell that becomes gremlins).
  (
    trap 'kill "$s" 2>/dev/null; exit 0' TERM
    sleep "$MUTATE_TIME" & s=$!
    wait "$s"
    touch "$work.timeup"
    kill -INT "$(cat "$work.pid")" 2>/dev/null || true
  ) &
  timer=$!
fi
status=0
bash -c 'echo $$ >"$0" && exec "$@"' "$work.pid" \
  "$gremlins" unleash "${flags[@]}" -o "$root/props/testdata/mutate.json" ./impl 2>&1 | number || status=$?
if [ -e "$work.timeup" ]; then
  echo "mutate: stopped after MUTATE_TIME=$MUTATE_TIME, as asked: a partial run (props/testdata/mutate.json is not written)"
  status=0
fi
exit "$status"
