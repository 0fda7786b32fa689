#!/usr/bin/env bash
# The whole suite: lint, then every test on SQLite (including the wheel, docs-site and
# translation checks), then the PostgreSQL tests on the real server. Services are found from NANOBANANA_TEST_POSTGRES_URL / NANOBANANA_TEST_REDIS_URL
# (defaults: the loopback servers). Without CI a missing service skips its tests with a
# reason; with CI=true it is a failure.
set -euo pipefail
VENV=${VENV:-.venv}
PY="$VENV/bin/python"
export NANOBANANA_TEST_POSTGRES_URL=${NANOBANANA_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
export NANOBANANA_TEST_REDIS_URL=${NANOBANANA_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}

echo "== lint (make lint: ruff check, ruff format --check)"
make --no-print-directory lint VENV="$VENV"

echo "== pytest (SQLite)"
"$PY" -m pytest -m "not postgres" "$@"

echo "== pytest (CMS integrations: Wagtail, django CMS)"
"$PY" -m pytest --ds=tests.settings_cms tests/contrib -p no:cacheprovider "$@"

echo "== pytest (PostgreSQL)"
if "$PY" scripts/service_up.py postgres; then
  NANOBANANA_TEST_DATABASE_URL="$NANOBANANA_TEST_POSTGRES_URL" \
    "$PY" -m pytest -m postgres -p no:cacheprovider "$@" || status=$?
  status=${status:-0}
  # 5 = no test selected: fine while no test needs PostgreSQL only.
  if [ "$status" -ne 0 ] && [ "$status" -ne 5 ]; then exit "$status"; fi
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL does not answer at $NANOBANANA_TEST_POSTGRES_URL and CI=true: failing." >&2
  exit 1
else
  echo "SKIPPED: PostgreSQL does not answer at $NANOBANANA_TEST_POSTGRES_URL"
fi
