#!/usr/bin/env bash
# Runs every test of the repository:
#   1. the template source's own tests (content/, every feature on);
#   2. the template tests: pack, install into an isolated hive, generate each variant outside the repository,
#      compare it with its reviewed snapshot, build it with warnings as errors and run its tests.
# PostgreSQL: uses TEST_POSTGRES (an Npgsql connection string to a server whose user may create databases) when it
# is set; otherwise starts a throwaway server on loopback and removes it afterwards.
# Results: TRX files under TEST_RESULTS_DIR (default artifacts/test-results); a table of how long each phase took
# (scripts/phase-table.sh; .ci/run adds its install time through INSTALL_SECONDS); the last line gives the totals.
set -euo pipefail
cd "$(dirname "$0")"

results=${TEST_RESULTS_DIR:-$PWD/artifacts/test-results}
rm -rf "$results"
mkdir -p "$results"
export TEST_RESULTS_DIR=$results
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

if [ -z "${TEST_POSTGRES:-}" ]; then
  port=55432
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  pg_dir=$(mktemp -d /tmp/authtemplate-pg.XXXXXX)
  trap 'scripts/throwaway-postgres.sh stop "$pg_dir"; rm -rf "$pg_dir"' EXIT
  TEST_POSTGRES=$(scripts/throwaway-postgres.sh start "$pg_dir" "$port")
  export TEST_POSTGRES
  echo "Started a throwaway PostgreSQL on 127.0.0.1:$port"
fi

phase() { printf '%s\t%d\n' "$1" "$2" >>"$results/phases.tsv"; }
[ -n "${INSTALL_SECONDS:-}" ] && phase "install (.ci/run)" "$INSTALL_SECONDS"

started=$(date +%s)
status=0
dotnet build content/AuthTemplate.slnx -tl:off -nologo -v q || status=1
phase "template source: build" $(( $(date +%s) - started ))
mark=$(date +%s)
dotnet test content/AuthTemplate.slnx --no-build \
  --logger "trx;LogFileName=content.trx" --results-directory "$results/content" || status=1
phase "template source: suite (all features on)" $(( $(date +%s) - mark ))
mark=$(date +%s)
dotnet test template-tests/AuthTemplate.TemplateTests/AuthTemplate.TemplateTests.csproj \
  --logger "trx;LogFileName=template-tests.trx" --logger "console;verbosity=normal" \
  --results-directory "$results/template-tests" || status=1
phase "template tests, in all (the phases below overlap it)" $(( $(date +%s) - mark ))
echo "Test run took $(( $(date +%s) - started ))s"

scripts/phase-table.sh "$results" || true
scripts/count-test-results.sh "$results" || status=1
exit $status
