#!/usr/bin/env bash
# Idempotent setup on a fresh x86_64 Linux machine with Python 3.11:
#   system packages (when root), the .venv with pinned dependencies, and the default models.
# Usage: scripts/setup.sh [--test]   (--test also installs test extras and Chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
want_test=0
[ "${1:-}" = "--test" ] && want_test=1

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3

apt_pkgs="espeak-ng sox libsndfile1"
[ $want_test = 1 ] && apt_pkgs="$apt_pkgs chromium flite"  # flite: tests rebuild fixtures (make_fixtures.py)
missing=""
for p in $apt_pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing system packages:$missing"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  else
    echo "setup: please install system packages:$missing (sudo apt-get install$missing)" >&2
  fi
fi

[ -x .venv/bin/python ] || "$PY" -m venv .venv
extras=""
[ $want_test = 1 ] && extras="[test]"
stamp=".venv/.coachscore-installed$extras"
hash=$(cat pyproject.toml constraints.txt 2>/dev/null | sha256sum | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$hash" ]; then
  echo "setup: installing Python dependencies into .venv (first run: several minutes, ~7.7 GB)"
  .venv/bin/pip install -q --upgrade pip wheel setuptools
  .venv/bin/pip install -q -c constraints.txt -e ".$extras"
  echo "$hash" > "$stamp"
fi
.venv/bin/coachscore models fetch
