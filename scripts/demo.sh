#!/usr/bin/env bash
# Set up (idempotent) and run the main job on the bundled sample recording:
# audio -> transcript -> scorecard (JSON + HTML) under out/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
mkdir -p out
sample=${1:-samples/coaching_1on1.wav}
.venv/bin/coachscore transcribe "$sample" --out out/sample.transcript.json --vtt out/sample.vtt
.venv/bin/coachscore analyze out/sample.transcript.json --leader auto \
  --json out/sample.scorecard.json --html out/sample.scorecard.html
echo "Scorecard: out/sample.scorecard.html (JSON: out/sample.scorecard.json)"
