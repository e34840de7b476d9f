#!/usr/bin/env bash
# Runs one test suite several times, optionally while every core is kept busy, and prints each run's counts and
# duration: the proof that a suite passes on a busy machine as on an idle one.
#   scripts/repeat-suite.sh [--runs N] [--hog] [PATH]
#     PATH    a solution or test project (default: content/AuthTemplate.slnx, the template source's suite); a
#             generated service's folder works too
#     --runs  how many runs (default 3)
#     --hog   while each run lasts, keep every core busy at normal priority: Debian's stress-ng when it is installed,
#             otherwise a busy shell loop per core
# PostgreSQL: TEST_POSTGRES when set, otherwise a throwaway server on loopback for the whole series.
# The suite is built once; each run writes its TRX file under artifacts/repeat-suite/run-K. Exits non-zero when any
# run had a failed test, or ran none.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

runs=3
hog=false
target=$root/content/AuthTemplate.slnx
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=${2:?--runs needs a number}; shift 2 ;;
    --hog) hog=true; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    -*) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    *) target=$1; shift ;;
  esac
done
case "$runs" in ''|*[!0-9]*|0) echo "--runs takes a whole number of at least 1" >&2; exit 2 ;; esac
[ -e "$target" ] || { echo "no such suite: $target" >&2; exit 2; }
target=$(cd "$(dirname "$target")" && pwd)/$(basename "$target")

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
hogs=()
stop_hog() {
  if [ "${#hogs[@]}" -gt 0 ]; then
    kill "${hogs[@]}" 2>/dev/null || true
    wait "${hogs[@]}" 2>/dev/null || true
  fi
  hogs=()
}
pg_dir=
cleanup() {
  stop_hog || true
  if [ -n "$pg_dir" ]; then "$root/scripts/throwaway-postgres.sh" stop "$pg_dir"; rm -rf "$pg_dir"; fi
}
trap cleanup EXIT

if [ -z "${TEST_POSTGRES:-}" ]; then
  port=55532
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  pg_dir=$(mktemp -d /tmp/repeat-suite-pg.XXXXXX)
  TEST_POSTGRES=$("$root/scripts/throwaway-postgres.sh" start "$pg_dir" "$port")
  export TEST_POSTGRES
fi

start_hog() {
  local cores
  cores=$(nproc)
  if command -v stress-ng >/dev/null 2>&1; then
    stress-ng --cpu "$cores" --quiet >/dev/null 2>&1 & hogs+=($!)
  else
    for _ in $(seq "$cores"); do (while :; do :; done) & hogs+=($!); done
  fi
}

echo "Building $target"
dotnet build "$target" -tl:off -nologo -v q >/dev/null
results=$root/artifacts/repeat-suite
rm -rf "$results" "$results"-run-*.log
mkdir -p "$results"
status=0
for run in $(seq "$runs"); do
  $hog && start_hog
  started=$(date +%s)
  dotnet test "$target" --no-build -tl:off --logger "trx;LogFileName=run.trx" --results-directory "$results/run-$run" \
    >"$results-run-$run.log" 2>&1 || true
  duration=$(( $(date +%s) - started ))
  stop_hog
  green=true
  counts=$("$root/scripts/count-test-results.sh" "$results/run-$run" | tail -n 1) || green=false
  printf 'run %d%s: %s in %d min %02d s\n' "$run" "$($hog && echo ' under the CPU hog')" "$counts" $((duration / 60)) $((duration % 60))
  if ! $green; then
    status=1
    grep -E '^\s+Failed ' "$results-run-$run.log" | sed 's/^/    /' || true
  fi
done
exit $status
