#!/usr/bin/env bash
# Checks the exercises the way a student meets them:
#   1. the reference solutions pass every test (--features solutions);
#   2. the stubs (todo!() bodies) compile, tests, play and the guide
#      (exercises/guide, a package of its own) included;
#   3. each exercise's tests FAIL against the stubs: an exercise that passes
#      untouched teaches nothing;
#   4. the guide stops at exercise 1 when nothing is done yet.
# Prints one summary line; exits non-zero on any problem. Called by .ci/run.
set -uo pipefail
cd "$(dirname "$0")/.."

# Readable failures in the logs; the stubs panic on purpose.
export RUST_BACKTRACE=0
problems=()
step() { printf '\n==> %s\n' "$*"; }

step "the reference solutions pass"
if ! cargo test -q -p exercises --features solutions; then
  problems+=("the reference solutions fail their tests")
fi

step "the stubs compile"
if ! cargo build -q -p exercises -p guide --all-targets; then
  problems+=("the stubs do not compile")
  printf 'exercises: FAILED (%s)\n' "${problems[*]}"
  exit 1
fi

step "each exercise fails against its stub"
tests=()
for f in exercises/tests/ex[0-9][0-9]_*.rs; do
  tests+=("$(basename "$f" .rs)")
done
for t in "${tests[@]}"; do
  # A stub must fail; a time-out (124) would mean a test that hangs.
  timeout 120 cargo test -q -p exercises --test "$t" >/dev/null 2>&1
  rc=$?
  case $rc in
    0) problems+=("$t passes against its stub") ; echo "  $t: PASSES untouched (wrong)" ;;
    124) problems+=("$t hangs against its stub") ; echo "  $t: HANGS (wrong)" ;;
    *) echo "  $t: fails against the stub (good)" ;;
  esac
done

step "the guide stops at exercise 1 with nothing done"
guide_out=$(timeout 120 cargo run -q -p guide -- --lang en 2>&1)
guide_rc=$?
if [ "$guide_rc" -eq 0 ] || ! grep -q "1/${#tests[@]}" <<<"$guide_out"; then
  problems+=("the guide did not stop at exercise 1 (exit $guide_rc)")
  printf '%s\n' "$guide_out" | tail -20
fi

if [ ${#problems[@]} -eq 0 ]; then
  printf '\nexercises: OK — %d exercises: solutions pass, every stub fails, guide works\n' "${#tests[@]}"
else
  printf '\nexercises: FAILED — %s\n' "$(IFS=';'; echo "${problems[*]}")"
  exit 1
fi
