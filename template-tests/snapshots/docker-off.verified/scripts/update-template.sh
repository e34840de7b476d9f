#!/usr/bin/env bash
# Brings a later version of the template this service was generated from into it, as a three-way merge: the change
# between the recorded version and the target version, both generated with the answers in .template-answers.json, is
# applied to this project, so that local changes survive and both-sides changes are marked as conflicts.
#   scripts/update-template.sh [--version X.Y.Z] [--source FEED]
#     --version  the version to update to (default: the newest stable version the sources offer)
#     --source   a folder of .nupkg files or a NuGet source URL (default: the NuGet sources configured here)
# Needs the .NET SDK, git and bash 4, and a clean work tree: review the result with `git diff`, then commit it.
# Exits 0 when the update applied cleanly, 1 when it left conflicts to resolve, 2 when it changed nothing (refused).
set -euo pipefail

fail() { echo "update-template: $*" >&2; exit 2; }

target=""
source=""
while [ $# -gt 0 ]; do
  case "$1" in
    --version) target=${2:?--version needs a version}; shift 2 ;;
    --source) source=${2:?--source needs a folder or a URL}; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) fail "unknown argument $1 (see --help)" ;;
  esac
done

project=$(cd "$(dirname "$0")/.." && pwd)
answers=$project/.template-answers.json
[ -f "$answers" ] || fail "$answers is missing: it records the template version and answers this service was made with."
command -v git >/dev/null || fail "git is needed."
command -v dotnet >/dev/null || fail "the .NET SDK is needed."
git -C "$project" rev-parse --is-inside-work-tree >/dev/null 2>&1 || fail "$project is not in a git work tree: commit the service first, so that the update can be reviewed and undone."
[ -z "$(git -C "$project" status --porcelain -- .)" ] || fail "the work tree has uncommitted changes: commit or stash them first, so that the update's changes are the only ones to review."

# The answers file is written by the template, one "key": "value" per line.
answer() { sed -n "s/^ *\"$1\": *\"\\([^\"]*\\)\".*/\\1/p" "$answers" | head -n 1; }
package=$(answer template)
current=$(answer version)
short_name=$(answer shortName)
name=$(answer name)
[ -n "$package" ] && [ -n "$current" ] && [ -n "$short_name" ] && [ -n "$name" ] || fail "$answers lacks the template, version, shortName or name."
[ "$current" != "0.0.0-local" ] || fail "this service was generated from a template folder, not a package: set \"version\" in $answers to the package version it matches, commit, and run again."
# Every answer but the name, as the option it was given with.
options=()
while IFS=$'\t' read -r option value; do
  [ "$option" = name ] || options+=("--$option" "$value")
done < <(sed -n '/"options": *{/,/}/s/^ *"\([^"]*\)": *"\([^"]*\)".*/\1\t\2/p' "$answers")

case "$source" in
  ""|http://*|https://*) ;;
  *) [ -d "$source" ] || fail "--source $source is neither a folder nor a URL."; source=$(cd "$source" && pwd) ;;
esac
source_args=()
[ -z "$source" ] || source_args=(--add-source "$source")

if [ -z "$target" ]; then
  search_args=()
  [ -z "$source" ] || search_args=(--source "$source")
  target=$(dotnet package search "$package" --exact-match --format json "${search_args[@]}" 2>/dev/null \
    | sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' | sort -V | tail -n 1) || true
  [ -n "$target" ] || fail "no version of $package found${source:+ in $source}; name one with --version."
fi
if [ "$target" = "$current" ]; then
  echo "This service is at $package $current already."
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Generates one version with the recorded answers, in a template hive of its own.
generate() {
  local version=$1 output=$2
  if ! dotnet new install "$package::$version" --debug:custom-hive "$work/hive-$version" "${source_args[@]}" >"$work/install-$version.log" 2>&1; then
    cat "$work/install-$version.log" >&2
    fail "$package $version could not be installed${source:+ from $source}: is the version right?"
  fi
  if ! dotnet new "$short_name" -n "$name" -o "$output" "${options[@]}" --skip-restore \
      --debug:custom-hive "$work/hive-$version" --no-update-check >"$work/new-$version.log" 2>&1; then
    cat "$work/new-$version.log" >&2
    fail "$package $version did not generate with the recorded answers."
  fi
}

echo "Generating $package $current and $target with the recorded answers..."
generate "$current" "$work/base"
generate "$target" "$work/next"

updated=() merged=() added=() removed=() conflicts=() notes=()
while IFS= read -r file; do
  base=$work/base/$file next=$work/next/$file mine=$project/$file
  if [ -f "$base" ] && [ -f "$next" ] && cmp -s "$base" "$next"; then
    continue
  elif [ ! -f "$base" ]; then
    # New in the template.
    if [ ! -e "$mine" ]; then
      mkdir -p "$(dirname "$mine")" && cp -p "$next" "$mine" && added+=("$file")
    elif ! cmp -s "$next" "$mine"; then
      git merge-file -L "this service" -L "(none)" -L "template $target" "$mine" /dev/null "$next" >/dev/null 2>&1 || true
      conflicts+=("$file")
      notes+=("$file: added by the template, and a file of that name exists here")
    fi
  elif [ ! -f "$next" ]; then
    # Removed from the template.
    if [ -e "$mine" ]; then
      if cmp -s "$base" "$mine"; then
        rm "$mine" && removed+=("$file")
      else
        notes+=("$file: removed from the template, but changed here, so kept")
      fi
    fi
  elif [ ! -e "$mine" ]; then
    notes+=("$file: changed in the template, but deleted here, so left deleted")
  elif cmp -s "$base" "$mine"; then
    cp "$next" "$mine" && updated+=("$file")
    if [ -x "$next" ]; then chmod +x "$mine"; fi
  elif git merge-file -L "this service" -L "template $current" -L "template $target" "$mine" "$base" "$next" >/dev/null 2>&1; then
    merged+=("$file")
  else
    status=$?
    if [ "$status" -gt 127 ]; then
      # Not text: this service's copy stays, the template's is put beside it.
      cp "$next" "$mine.template-$target"
      notes+=("$file: changed on both sides and not text; the template's version is $file.template-$target")
    fi
    conflicts+=("$file")
  fi
done < <( { (cd "$work/base" && find . -type f); (cd "$work/next" && find . -type f); } | sed 's|^\./||' | sort -u)

list() {
  local title=$1; shift
  [ $# -gt 0 ] || return 0
  echo "$title ($#):"
  printf '  %s\n' "$@"
}
echo
echo "$package $current -> $target"
list "Taken as the template has them (unchanged here)" "${updated[@]}"
list "Merged with the changes made here" "${merged[@]}"
list "Added" "${added[@]}"
list "Removed" "${removed[@]}"
list "CONFLICTS: both sides changed the same lines; look for <<<<<<< in" "${conflicts[@]}"
list "Notes" "${notes[@]}"

migrations=()
for file in "${added[@]}"; do
  case "$file" in */Data/Migrations/*.cs) case "$file" in *.Designer.cs) ;; *) migrations+=("$file") ;; esac ;; esac
done

changelog=$work/next/scripts/TEMPLATE-CHANGELOG.md
if [ -f "$changelog" ]; then
  # The sections newer than the recorded version, up to the target.
  sections=$(awk -v current="$current" '
    /^## \[/ { version = substr($2, 2, length($2) - 2); printing = (version != current) }
    /^## \[/ && version == current { exit }
    printing { print "  " $0 }' "$changelog")
  echo
  echo "What changed (from scripts/TEMPLATE-CHANGELOG.md):"
  echo "${sections:-  (the changelog has no section after $current)}"
fi

echo
echo "Next:"
[ ${#conflicts[@]} -eq 0 ] || echo "  - resolve the conflicts above (git diff shows them), keeping what this service needs of both sides"
echo "  - review the whole change: git diff; git status"
echo "  - dotnet build && dotnet test"
api=$(cd "$project" && ls -d src/*.Api 2>/dev/null | head -n 1)
[ ${#migrations[@]} -eq 0 ] || echo "  - new migrations (${#migrations[@]}): apply them with \`dotnet run --project $api -- migrate\` (or the image's migrate command) before the new version serves"
echo "  - commit: git add -A && git commit -m \"Template $current -> $target\""
[ ${#conflicts[@]} -eq 0 ] || exit 1
