#!/usr/bin/env bash
# importcheck: the package import rules (listed here, and in README.md under make verify),
# checked with go list.
#   - abi imports only the standard library;
#   - model and impl import only abi and the standard library, never each other
#     (transitively: the oracle must not agree by construction);
#   - only props imports rapid, only props and traces import go-cmp (test files
#     are free to import both).
# Prints every broken rule and exits 1 if there is one.
set -u
mod=github.com/forkspec/forkspec
fail=0
broken() { echo "importcheck: $*"; fail=1; }

# deps PKG: the non-standard-library packages PKG needs, transitively, tests excluded.
deps() { go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' "$1" 2>/dev/null | grep -vx "$mod/${1#./}"; }

if [ -d abi ]; then
  for d in $(deps ./abi); do broken "abi must import only the standard library, but needs $d"; done
fi
for p in model impl; do
  [ -d "$p" ] || continue
  for d in $(deps ./$p); do
    case "$d" in
      $mod/abi) ;;
      *) broken "$p must import only abi and the standard library, but needs $d" ;;
    esac
  done
done

# Direct imports of non-test code in every package.
while read -r pkg imports; do
  for i in $imports; do
    case "$i" in
      pgregory.net/rapid*)
        case "$pkg" in $mod/props|$mod/props/*) ;; *) broken "$pkg imports rapid (only props may)";; esac ;;
      github.com/google/go-cmp*)
        case "$pkg" in $mod/props|$mod/props/*|$mod/traces|$mod/traces/*) ;; *) broken "$pkg imports go-cmp (only props and traces may)";; esac ;;
    esac
  done
done < <(go list -f '{{.ImportPath}} {{join .Imports " "}}' ./... 2>/dev/null)

[ $fail = 0 ] && echo "importcheck: ok"
exit $fail
