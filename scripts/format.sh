#!/usr/bin/env bash
# format.sh - THE C formatter of estd (clang-format 14 with .clang-format).
#
#   scripts/format.sh            format every C source and header in place:
#                                src/, include/, tests/unit/, tests/fuzz/
#   scripts/format.sh --check    exit 1 (listing the files) if any checked file is
#                                not formatted; changes nothing (CTest lint.format)
#   scripts/format.sh FILE...    format just these files in place
#
# While the tree is being brought to the style, scripts/format-checked.txt
# lists the files --check covers (one path a line); the first full run of
# scripts/format.sh formats everything and deletes that list, and from then
# on --check covers every file.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
CF=${CLANG_FORMAT:-clang-format}
command -v "$CF" >/dev/null || { echo "format.sh: $CF not found (scripts/deps.sh installs clang-format)" >&2; exit 2; }
LIST=scripts/format-checked.txt

all_files() { git ls-files -co --exclude-standard -- 'src/*.[ch]' 'include/*.h' 'tests/unit/*.[ch]' 'tests/fuzz/*.[ch]'; }

case "${1:-}" in
  --check)
    if [ -f "$LIST" ]; then files=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$LIST"); else files=$(all_files); fi
    bad=()
    for f in $files; do
      [ -f "$f" ] || continue
      "$CF" --style=file "$f" | cmp -s - "$f" || bad+=("$f")
    done
    if [ ${#bad[@]} -gt 0 ]; then
      echo "format.sh: not formatted (run scripts/format.sh ${bad[*]}):"; printf '  %s\n' "${bad[@]}"; exit 1
    fi
    echo "format.sh: ok"
    ;;
  -h|--help) sed -n '2,14p' "$0" ;;
  "")
    all_files | xargs -r "$CF" --style=file -i
    rm -f "$LIST"
    echo "format.sh: formatted every C file; --check now covers all of them"
    ;;
  -*) echo "format.sh: unknown option $1" >&2; exit 2 ;;
  *) "$CF" --style=file -i "$@" ;;
esac
