"""The example site's ``make demo`` as a person runs it (scripts/demo.sh, the run part):
a second terminal's ``manage.py`` finds the running demo's fake server and key without
exports, and Ctrl-C stops every process cleanly with exit status 0 (make reports no
"Error 130", nothing needs a SIGKILL)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import accepts, free_port, wait_for

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "example_project"
VENV = Path(sys.executable).parent.parent


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=EXAMPLE,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def demo_env(tmp_path) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GEMINI_", "NANOBANANA_", "DJANGO_"))
    }
    env.update(
        {
            "PYTHONPATH": os.pathsep.join([str(EXAMPLE), str(ROOT)]),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
            "DJANGO_DEBUG": "1",
            "NANOBANANA_DEMO_STATE": str(tmp_path / "demo-state.json"),
        }
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def test_second_terminal_finds_the_demo_and_ctrl_c_stops_cleanly(demo_env, tmp_path):
    state = Path(demo_env["NANOBANANA_DEMO_STATE"])
    # Not running: the missing key is reported (W002), as before.
    before = manage(demo_env, "check")
    assert "nanobanana.W002" in before.stderr + before.stdout

    assert manage(demo_env, "migrate", "django_q", "--noinput").returncode == 0
    web, fake = free_port(), free_port()
    run_env = {
        **demo_env,
        "VENV": os.path.relpath(VENV, ROOT),
        "DEMO_SETUP": "0",
        "DEMO_PORT": str(web),
        "FAKE_GEMINI_PORT": str(fake),
    }
    demo = subprocess.Popen(
        ["bash", "scripts/demo.sh"],
        cwd=ROOT,
        env=run_env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(lambda: accepts(web) and accepts(fake) and state.exists(), interval=0.2)
        saved = json.loads(state.read_text())
        assert saved["base_url"] == f"http://127.0.0.1:{fake}"

        # the second terminal: no exports, no W002, the demo's key and fake server
        check = manage(demo_env, "check")
        assert "W002" not in check.stderr + check.stdout, check.stderr
        shown = manage(
            demo_env,
            "shell",
            "-c",
            "from django_nanobanana.conf import nanobanana_settings as s;"
            "print(s.provider_config('gemini')['BASE_URL'])",
        )
        assert shown.stdout.strip().splitlines()[-1] == saved["base_url"], shown.stderr

        # Ctrl-C: the terminal sends SIGINT to the foreground process group
        os.killpg(demo.pid, signal.SIGINT)
        out, _ = demo.communicate(timeout=30)
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            print(demo.communicate()[0][-3000:])
    assert demo.returncode == 0, out[-3000:]
    assert "SIGKILL" not in out, out[-3000:]
    assert "Demo stopped." in out
    assert not state.exists()
    wait_for(lambda: not accepts(web) and not accepts(fake), timeout=10, interval=0.2)


FACTS = """
import json
from django.conf import settings
from django.contrib.sites.models import Site
from django.test import Client
from wagtail.models import Site as WagtailSite

site = WagtailSite.objects.get(is_default_site=True)
client = Client(HTTP_HOST="127.0.0.1")
home = client.get("/").content.decode()
swagger = client.get("/api/nanobanana/docs/").content.decode()
print(json.dumps({
    "site": [Site.objects.get_current().name, Site.objects.get_current().domain],
    "wagtail": [site.site_name, site.root_page.title],
    "gravatar": settings.WAGTAIL_GRAVATAR_PROVIDER_URL,
    "update_check": settings.WAGTAIL_ENABLE_UPDATE_CHECK,
    "home_links_swagger": 'href="/api/nanobanana/docs/"' in home,
    "swagger_local": "drf_spectacular_sidecar" in swagger and "cdn" not in swagger.lower(),
}))
"""


def test_the_demo_names_itself_works_offline_and_links_swagger(demo_env):
    """After ``demo_setup`` (what ``make demo`` runs): no "example.com", no "Welcome to
    your new Wagtail site!", no gravatar or release check, Swagger linked and local."""
    assert manage(demo_env, "migrate", "--noinput").returncode == 0
    setup = manage(demo_env, "demo_setup")
    assert setup.returncode == 0, setup.stderr
    assert "/api/nanobanana/docs/" in setup.stdout
    facts = manage(demo_env, "shell", "-c", FACTS)
    assert facts.returncode == 0, facts.stderr
    data = json.loads(facts.stdout.strip().splitlines()[-1])
    assert data["site"] == ["django-nanobanana demo", "127.0.0.1:8000"]
    assert data["wagtail"] == ["django-nanobanana demo", "django-nanobanana demo"]
    assert data["gravatar"] is None and data["update_check"] is False
    assert data["home_links_swagger"] and data["swagger_local"]
