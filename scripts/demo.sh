#!/usr/bin/env bash
# Set up (idempotent) and run the main job on the bundled sample recording:
# audio -> transcript -> scorecard (JSON + HTML) under out/; then get the web app ready:
# the first admin and a one-time sign-in link, printed last with how to start the server.
#   bash scripts/demo.sh [RECORDING] [--email you@example.com] [--port 8000] [--serve]
# --serve starts the web app at the end (in the foreground) instead of only printing how.
set -euo pipefail
cd "$(dirname "$0")/.."
sample=samples/coaching_1on1.wav
email=${COACHSCORE_ADMIN_EMAIL:-admin@example.com}
port=8000
serve=0
while [ $# -gt 0 ]; do
  case "$1" in
    --serve) serve=1 ;;
    --email) email=$2; shift ;;
    --email=*) email=${1#--email=} ;;
    --port) port=$2; shift ;;
    --port=*) port=${1#--port=} ;;
    -*) echo "unknown option: $1 (see the top of scripts/demo.sh)" >&2; exit 2 ;;
    *) sample=$1 ;;
  esac
  shift
done
scripts/setup.sh
mkdir -p out
.venv/bin/coachscore transcribe "$sample" --out out/sample.transcript.json --vtt out/sample.vtt
.venv/bin/coachscore analyze out/sample.transcript.json --leader auto \
  --json out/sample.scorecard.json --html out/sample.scorecard.html
echo "Scorecard: out/sample.scorecard.html (JSON: out/sample.scorecard.json)"
echo
echo "== The web app =="
# its log lines (database migration) go to out/first-run.log, shown only when it fails
if ! .venv/bin/coachscore admin first-run --email "$email" --port "$port" 2>out/first-run.log; then
  cat out/first-run.log >&2
  exit 1
fi
if [ "$serve" = 1 ]; then
  echo
  echo "Starting the web app on http://127.0.0.1:$port/ (Ctrl-C stops it)..."
  exec .venv/bin/coachscore serve --port "$port"
fi
