#!/usr/bin/env bash
# Sums the counters of every TRX file below a folder and prints one line per file, then `N passed, N failed`.
# Exits non-zero when a test failed or when no test ran at all.
set -euo pipefail
dir=${1:?usage: $0 RESULTS_DIR}

passed=0
failed=0
while IFS= read -r -d '' trx; do
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  value() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
  p=$(value passed); f=$(value failed); e=$(value error); t=$(value timeout); a=$(value aborted)
  f=$(( ${f:-0} + ${e:-0} + ${t:-0} + ${a:-0} ))
  printf '  %-60s %4d passed, %d failed\n' "${trx#"$dir"/}" "${p:-0}" "$f"
  passed=$(( passed + ${p:-0} ))
  failed=$(( failed + f ))
done < <(find "$dir" -name '*.trx' -print0 | sort -z)

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
