#!/usr/bin/env bash
# checksrc.sh - the C sources' house rules, for engine/ and ext/ (the generated
# ext/kbjobs_arginfo.h excepted): no sprintf, vsprintf, strcpy, strcat, strtok or gets
# (snprintf and bounded copies instead), lines of at most 120 characters, no tabs, no
# trailing whitespace. Prints each violation as file:line: rule, exits 1 if any.
set -uo pipefail
cd "$(dirname "$0")/.."

files=$(ls engine/*.h engine/*/*.[ch] ext/*.[ch] | grep -v '_arginfo\.h$')
bad=0
report() { bad=1; printf '%s\n' "$@"; }

out=$(grep -nE '(^|[^a-z_])(v?sprintf|strcpy|strcat|strtok|gets)[[:space:]]*\(' $files)
[ -n "$out" ] && report "$(sed 's/$/  <- banned function (use snprintf or a bounded copy)/' <<<"$out")"
out=$(awk 'length > 120 { printf "%s:%d: line of %d characters (at most 120)\n", FILENAME, FNR, length }' $files)
[ -n "$out" ] && report "$out"
out=$(grep -nP '\t' $files)
[ -n "$out" ] && report "$(sed 's/$/  <- tab/' <<<"$out")"
out=$(grep -nE '[[:space:]]+$' $files)
[ -n "$out" ] && report "$(sed 's/$/  <- trailing whitespace/' <<<"$out")"

if [ $bad -ne 0 ]; then
  echo "checksrc: the C sources break the house rules above"
  exit 1
fi
echo "checksrc: $(wc -w <<<"$files") C files follow the house rules"
