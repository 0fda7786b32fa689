"""Schemathesis against the live example site: no 500s, no response that breaks the schema.

The example project runs for real in a subprocess (a threaded WSGI server on a free
loopback port, a fresh SQLite database and media folder in tmp, migrated first), with the
fake Gemini server as its provider; a user with a token is created. Schemathesis reads
``/api/nanobanana/schema/`` and sends a bounded number of generated requests to every
operation (``MAX_EXAMPLES`` each, the whole run bounded by ``RUN_TIMEOUT`` seconds).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from django_nanobanana.testing.fake_gemini import DEFAULT_API_KEY, FakeGeminiServer
from tests.helpers import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "example_project"
MAX_EXAMPLES = 15
RUN_TIMEOUT = 160
CHECKS = (
    "not_a_server_error,response_schema_conformance,status_code_conformance,"
    "content_type_conformance"
)

SERVE = """
import sys

import django
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.core.wsgi import get_wsgi_application


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


django.setup()
server = ThreadedWSGIServer(("127.0.0.1", int(sys.argv[1])), Quiet)
server.set_app(get_wsgi_application())
server.serve_forever()
"""

SETUP_USER = """
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
user = get_user_model().objects.create_user("fuzzer", password="fuzzer")
print(Token.objects.create(user=user).key)
"""


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(EXAMPLE / "manage.py"), *args],
        env=env,
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def live_site(tmp_path: Path) -> Iterator[dict[str, str]]:
    if shutil.which("st", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("schemathesis is not installed (pip install -e '.[dev]')")
    fake = FakeGeminiServer(api_key=DEFAULT_API_KEY).start()
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(EXAMPLE), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "example_project.settings",
        # The example site's own SQLite tuning (WAL, IMMEDIATE, busy timeout), by URL.
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}?"
        + urllib.parse.urlencode(
            {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": "20",
            }
        ),
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": uuid.uuid4().hex,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "GEMINI_API_KEY": DEFAULT_API_KEY,
        "NANOBANANA_GEMINI_BASE_URL": fake.base_url,
        "NANOBANANA_API_GENERATE_RATE": "none",
    }
    server = None
    log = open(tmp_path / "server.log", "w")
    try:
        _manage(env, "migrate", "--noinput")
        token = _manage(env, "shell", "-c", SETUP_USER).strip().splitlines()[-1]
        server = subprocess.Popen(
            [sys.executable, "-c", SERVE, str(port)],
            env=env,
            cwd=EXAMPLE,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        schema_url = f"{base}/api/nanobanana/schema/?format=json"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(schema_url, timeout=5) as response:
                    json.load(response)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        "the example site did not start:\n" + (tmp_path / "server.log").read_text()
                    )
                time.sleep(0.2)
        yield {
            "base": base,
            "schema": schema_url,
            "token": token,
            "log": str(tmp_path / "server.log"),
            "tmp": str(tmp_path),
        }
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        log.close()
        fake.stop()


def test_schemathesis_finds_no_server_error_and_no_schema_violation(live_site):
    command = [
        str(Path(sys.executable).parent / "st"),
        "run",
        live_site["schema"],
        "--url",
        live_site["base"],
        "--header",
        f"Authorization: Token {live_site['token']}",
        "--checks",
        CHECKS,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        "20260101",
        "--request-timeout",
        "20",
        "--suppress-health-check",
        "all",
        "--workers",
        "1",
        "--no-color",
    ]
    started = time.monotonic()
    try:
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            cwd=live_site["tmp"],
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"schemathesis ran longer than {RUN_TIMEOUT}s:\n{exc.stdout}")
    elapsed = time.monotonic() - started
    output = result.stdout + result.stderr
    server_log = Path(live_site["log"]).read_text()
    assert result.returncode == 0, f"{output}\n--- server log ---\n{server_log[-5000:]}"
    assert "Traceback" not in server_log, server_log[-5000:]
    print(f"schemathesis: {elapsed:.1f}s\n{output[-1500:]}")
