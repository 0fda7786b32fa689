#!/usr/bin/env bash
# make demo: migrate, create the demo superuser, then run the site, two django-q2 clusters
# (provider calls and renditions: docs/deployment.md, "Sizing the workers") and
# (without a real GEMINI_API_KEY) the fake Gemini server, together, until Ctrl-C.
#
# Ctrl-C stops everything cleanly: honcho runs the processes in their own process group
# and stops them with SIGTERM (django-q2's cluster finishes its current task and exits);
# this script waits for that and exits 0, so make reports no error.
set -euo pipefail
VENV=${VENV:-.venv}
PY="$(pwd)/$VENV/bin/python"
cd example_project
export DJANGO_SETTINGS_MODULE=example_project.settings
export PYTHONUNBUFFERED=1
STATE="${NANOBANANA_DEMO_STATE:-$(pwd)/.demo-fake-gemini.json}"
export DEMO_PORT=${DEMO_PORT:-8000}
if [ -z "${GEMINI_API_KEY:-}" ]; then
  export FAKE_GEMINI_PORT=${FAKE_GEMINI_PORT:-8765}
  export GEMINI_API_KEY=fake-gemini-key
  export NANOBANANA_GEMINI_BASE_URL="http://127.0.0.1:${FAKE_GEMINI_PORT}"
  PROCFILE=Procfile.fake
  echo "No GEMINI_API_KEY set: using the bundled fake Gemini server on $NANOBANANA_GEMINI_BASE_URL"
else
  PROCFILE=Procfile
  echo "Using the real Gemini API with the key from GEMINI_API_KEY"
fi
if [ "${DEMO_SETUP:-1}" = 1 ]; then  # DEMO_SETUP=0: tests of the run part only
  "$PY" manage.py migrate --noinput
  "$PY" manage.py demo_setup
fi
export PY

if [ "$PROCFILE" = Procfile.fake ]; then
  # manage.py in a second terminal finds the fake server through this file (settings.py).
  printf '{"base_url": "%s", "api_key": "%s"}\n' "$NANOBANANA_GEMINI_BASE_URL" \
    "$GEMINI_API_KEY" > "$STATE"
  echo "In another terminal: cd example_project && ../$VENV/bin/python manage.py nanobanana_generate --prompt 'A lighthouse' --json"
fi

HONCHO_PID=""
stop() {
  trap '' INT TERM
  if [ -n "$HONCHO_PID" ]; then
    kill -TERM "$HONCHO_PID" 2>/dev/null || true
    wait "$HONCHO_PID" 2>/dev/null || true
  fi
  rm -f "$STATE"
  echo "Demo stopped."
  exit 0
}
trap stop INT TERM
trap 'rm -f "$STATE"' EXIT
# setsid: Ctrl-C reaches this script only; it stops honcho, honcho stops its processes.
setsid "$(dirname "$PY")/honcho" -f "$PROCFILE" start &
HONCHO_PID=$!
wait "$HONCHO_PID" || status=$?
rm -f "$STATE"
exit "${status:-0}"
