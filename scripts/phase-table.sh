#!/usr/bin/env bash
# Prints how long each phase of a test run took, from what the run recorded under RESULTS_DIR:
#   - phases.tsv: one "name<TAB>seconds" line per phase, written by .ci/run, test.sh and the template tests (each
#     variant's generation, build and suite, the generated CI workflow, the image rehearsals, the README walkthrough);
#   - the template tests' TRX file: the time of each test class, summed over its tests (a class runs its tests one
#     at a time), for the checks that hold no pipeline slot (the Kubernetes manifests, the snapshots).
set -euo pipefail
dir=${1:?usage: $0 RESULTS_DIR}

echo "Phase durations:"
if [ -f "$dir/phases.tsv" ]; then
  awk -F '\t' '{ printf "  %-78s %5d s\n", $1, $2 }' "$dir/phases.tsv"
fi
trx=$(find "$dir" -name 'template-tests.trx' -print -quit)
if [ -n "$trx" ]; then
  grep -o '<UnitTestResult [^>]*>' "$trx" \
    | sed -n 's/.*testName="AuthTemplate\.TemplateTests\.\([A-Za-z]*\)\.[^"]*".* duration="\([0-9]*\):\([0-9]*\):\([0-9.]*\)".*/\1 \2 \3 \4/p' \
    | awk '{ seconds[$1] += $2 * 3600 + $3 * 60 + $4; tests[$1]++ }
           END { for (name in seconds) printf "  template tests: %-40s %4d tests %14d s\n", name, tests[name], seconds[name] }' \
    | sort
fi
