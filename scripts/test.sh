#!/usr/bin/env bash
# Set up (idempotent) and run the whole test suite. This is exactly what .ci/run runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
# PostgreSQL tests run against this server when it answers; they skip with the reason otherwise.
export COACHSCORE_TEST_POSTGRES_URL=${COACHSCORE_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}
.venv/bin/lint-imports
exec .venv/bin/python -m pytest "$@"
