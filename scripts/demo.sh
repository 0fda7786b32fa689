#!/usr/bin/env bash
# make demo: migrate, create the demo superuser, then run the site, a django-q2 cluster and
# (without a real GEMINI_API_KEY) the fake Gemini server, together, until Ctrl-C.
set -euo pipefail
VENV=${VENV:-.venv}
PY="$(pwd)/$VENV/bin/python"
cd example_project
export DJANGO_SETTINGS_MODULE=example_project.settings
export PYTHONUNBUFFERED=1
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
"$PY" manage.py migrate --noinput
"$PY" manage.py demo_setup
export PY
exec "$(dirname "$PY")/honcho" -f "$PROCFILE" start
