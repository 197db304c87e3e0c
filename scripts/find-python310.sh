#!/usr/bin/env bash
# Print the path of a working Python 3.10 interpreter: $PYTHON310, python3.10 on PATH, else
# pyenv's 3.10.x; fail with a clear message if none. Rasa 3.6 needs Python < 3.11.
set -uo pipefail
works() { "$1" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; }
for candidate in "${PYTHON310:-}" python3.10; do
  if [ -n "$candidate" ] && works "$candidate"; then
    "$candidate" -c 'import sys; print(sys.executable)'; exit 0
  fi
done
if command -v pyenv >/dev/null 2>&1; then
  for python in "$(pyenv root)"/versions/3.10*/bin/python; do
    if [ -x "$python" ] && works "$python"; then echo "$python"; exit 0; fi
  done
fi
echo "error: Python 3.10 not found (install it, or set PYTHON310=/path/to/python3.10)" >&2
exit 1
