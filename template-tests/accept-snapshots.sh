#!/usr/bin/env bash
# Accepts generated trees as the new snapshots: each template-tests/snapshots/<scenario>.received/ (written by a
# failing Generated_tree_matches_snapshot test) replaces <scenario>.verified/.
#   template-tests/accept-snapshots.sh              every scenario that has a .received folder
#   template-tests/accept-snapshots.sh SCENARIO...  only these scenarios
# Review the diff (git diff template-tests/snapshots) before committing.
set -euo pipefail

snapshots="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/snapshots"

if [ "$#" -gt 0 ]; then
  scenarios=("$@")
else
  scenarios=()
  for received in "$snapshots"/*.received; do
    [ -d "$received" ] && scenarios+=("$(basename "$received" .received)")
  done
fi

if [ "${#scenarios[@]}" -eq 0 ]; then
  echo "Nothing to accept: no $snapshots/*.received folder. Run the template tests first." >&2
  exit 1
fi

for scenario in "${scenarios[@]}"; do
  received="$snapshots/$scenario.received"
  verified="$snapshots/$scenario.verified"
  if [ ! -d "$received" ]; then
    echo "No $received: the $scenario snapshot already matches, or the tests have not run." >&2
    exit 1
  fi
  rm -rf "$verified"
  mv "$received" "$verified"
  echo "accepted $scenario"
done
