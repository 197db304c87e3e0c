#!/usr/bin/env bash
# Print the path of a working Python interpreter of the version given (3.10 for Rasa 3.6, 3.12
# for the app): $PYTHON310 or $PYTHON312, python3.X on PATH, else pyenv's 3.X.y; fail with a clear
# message if none. Usage: scripts/find-python.sh 3.12
set -uo pipefail
version="${1:?usage: scripts/find-python.sh 3.10|3.12}"
major="${version%%.*}"
minor="${version#*.}"
override="PYTHON${major}${minor}"
works() { "$1" -c "import sys; assert sys.version_info[:2] == ($major, $minor)" >/dev/null 2>&1; }
for candidate in "${!override:-}" "python$version"; do
  if [ -n "$candidate" ] && works "$candidate"; then
    "$candidate" -c 'import sys; print(sys.executable)'; exit 0
  fi
done
if command -v pyenv >/dev/null 2>&1; then
  for python in "$(pyenv root)"/versions/"$version".*/bin/python; do
    if [ -x "$python" ] && works "$python"; then echo "$python"; exit 0; fi
  done
fi
echo "error: Python $version not found (install it, or set $override=/path/to/python$version)" >&2
exit 1
