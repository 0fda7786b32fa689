"""The wheel stands alone: build it, check it, install it outside the checkout, use it.

One slow test (about a minute with pip's cache warm): ``python -m build`` makes the sdist
and the wheel (the wheel from the sdist, so both are complete), ``twine check`` validates
their metadata, and the wheel is installed with its dependencies into a fresh virtualenv
in a temporary folder. There, a site whose settings list only the app and the apps it
needs runs ``migrate``, ``check``, ``collectstatic`` and one generation with a text overlay
against the bundled fake server, started from the wheel's own console script. Templates,
static files, fonts, migrations and translations are asserted to come from the installed
wheel, never from the checkout.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time
import venv
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
INSTALL_TIMEOUT = 600  # pip with a warm cache takes ~1 min; a cold one is network-bound

SITE_SETTINGS = """
import os
from pathlib import Path

BASE = Path(__file__).resolve().parent
SECRET_KEY = "wheel-test-only"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_q",
    "django_nanobanana",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "site_urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE / "db.sqlite3"}}
STATIC_URL = "/static/"
STATIC_ROOT = BASE / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE / "media"
Q_CLUSTER = {"name": "wheel-site", "orm": "default", "timeout": 300, "retry": 360}
NANOBANANA = {"PROVIDERS": {"gemini": {
    "API_KEY_ENV": "GEMINI_API_KEY", "BASE_URL": os.environ["FAKE_GEMINI_URL"]}}}
"""

SITE_URLS = """
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/nanobanana/", include("django_nanobanana.api.urls")),
]
"""

# Run inside the site with the installed package: where do templates, fonts, migrations and
# translations come from, and does the admin render (in German) with the wheel's files?
PROBE = """
import json, sys, django
django.setup()
from django.apps import apps
import django_nanobanana
from django.contrib.auth.models import User
from django.template.loader import get_template
from django.test import Client
from django.utils import translation
from django.utils.text import capfirst
from django_nanobanana.imaging.overlay import available_fonts
from django.db.migrations.loader import MigrationLoader

loader = MigrationLoader(None, ignore_no_migrations=True)
label = apps.get_containing_app_config("django_nanobanana").label
User.objects.create_superuser("admin", "admin@example.com", "pw")
client = Client()
client.force_login(User.objects.get(username="admin"))
page = client.get("/admin/nanobanana/generatedasset/", HTTP_ACCEPT_LANGUAGE="de")
with translation.override("de"):
    german = str(capfirst(django_nanobanana.models.GeneratedAsset._meta.verbose_name_plural))
print(json.dumps({
    "package": django_nanobanana.__file__,
    "version": django_nanobanana.__version__,
    "template": get_template("admin/nanobanana/change_list.html").origin.name,
    "fonts": sorted(str(font.path) for font in available_fonts().values()),
    "migrations": sorted(sys.modules[type(m).__module__].__file__
                         for (app, _), m in loader.disk_migrations.items()
                         if app == label),
    "admin_status": page.status_code,
    "admin_german": german,
    "admin_page_has_german": german in page.content.decode(),
}))
"""


def run(
    args: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, (
        f"{' '.join(map(str, args))} exited {result.returncode}\n"
        f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}"
    )
    return result


def start_fake_server(
    python: Path, cwd: Path, env: dict[str, str]
) -> tuple[subprocess.Popen[str], str]:
    """The wheel's console script on a free loopback port; returns it and its base URL."""
    script = python.parent / "nanobanana-fakeserver"
    assert script.exists(), "the wheel installs the nanobanana-fakeserver console script"
    process = subprocess.Popen(
        [str(script), "--port", "0", "--api-key", "wheel-key"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # blocks until the server prints its address
    match = re.search(r"(http://127\.0\.0\.1:\d+)", line)
    if not match:
        process.kill()
        pytest.fail(f"the fake server did not announce its address: {line!r}")
    return process, match.group(1)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        cwd=out,
        timeout=INSTALL_TIMEOUT,
    )
    wheels, sdists = list(out.glob("*.whl")), list(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1
    return {"wheel": wheels[0], "sdist": sdists[0]}


def test_wheel_and_sdist_pass_twine_check(dist: dict[str, Path]) -> None:
    result = run(
        [
            sys.executable,
            "-m",
            "twine",
            "check",
            "--strict",
            str(dist["wheel"]),
            str(dist["sdist"]),
        ],
        cwd=dist["wheel"].parent,
    )
    assert result.stdout.count("PASSED") == 2


def test_wheel_carries_licence_typing_and_data_files(dist: dict[str, Path]) -> None:
    names = set(zipfile.ZipFile(dist["wheel"]).namelist())
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(dist["wheel"]).read(metadata).decode()
    assert "License-Expression: BSD-3-Clause" in text
    assert "License-File: LICENSE" in text
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    from django_nanobanana import __version__

    assert f"\nVersion: {__version__}\n" in text
    assert text.count("Requires-Dist: selenium") <= 1
    assert "django_nanobanana/py.typed" in names
    for prefix, suffix in [
        ("django_nanobanana/templates/", ".html"),
        ("django_nanobanana/static/nanobanana/", ".js"),
        ("django_nanobanana/fonts/", ".ttf"),
        ("django_nanobanana/migrations/", ".py"),
        ("django_nanobanana/locale/de/LC_MESSAGES/", "django.mo"),
        ("django_nanobanana/locale/fr/LC_MESSAGES/", "django.mo"),
    ]:
        assert any(n.startswith(prefix) and n.endswith(suffix) for n in names), prefix
    assert not any(n.startswith("tests/") for n in names)


def test_installed_wheel_runs_a_site_outside_the_checkout(
    dist: dict[str, Path], tmp_path: Path
) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    base_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PYTHON", "NANOBANANA_", "VIRTUAL_ENV"))
    }
    base_env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    install = run(
        [str(python), "-m", "pip", "install", f"{dist['wheel']}[drf]"],
        cwd=tmp_path,
        env=base_env,
        timeout=INSTALL_TIMEOUT,
    )
    # The install itself is warning-free (no setuptools licence deprecations, nothing else);
    # only this machine's pip configuration may complain about its own index folders.
    warnings = [
        line
        for line in (install.stdout + install.stderr).splitlines()
        if "warning" in line.lower() and not line.startswith("WARNING: Location '")
    ]
    assert not warnings, warnings

    site = tmp_path / "site"
    site.mkdir()
    (site / "site_settings.py").write_text(textwrap.dedent(SITE_SETTINGS))
    (site / "site_urls.py").write_text(textwrap.dedent(SITE_URLS))
    (site / "probe.py").write_text(textwrap.dedent(PROBE))
    env = dict(
        base_env,
        PYTHONPATH=str(site),
        DJANGO_SETTINGS_MODULE="site_settings",
        GEMINI_API_KEY="wheel-key",
    )

    server, url = start_fake_server(python, site, env)
    env["FAKE_GEMINI_URL"] = url
    try:
        admin = [str(python), "-m", "django"]
        run([*admin, "migrate", "--noinput"], cwd=site, env=env)
        check = run([*admin, "check", "--fail-level", "WARNING"], cwd=site, env=env)
        assert "no issues" in check.stdout
        run([*admin, "collectstatic", "--noinput"], cwd=site, env=env)
        assert (site / "static" / "nanobanana" / "admin.js").is_file()

        started = time.monotonic()
        generated = run(
            [
                *admin,
                "nanobanana_generate",
                "--prompt",
                "A lighthouse at dawn",
                "--aspect-ratio",
                "16:9",
                "--overlay",
                "Open Day",
                "--json",
            ],
            cwd=site,
            env=env,
            timeout=180,
        )
        record = json.loads(generated.stdout.strip().splitlines()[-1])
        assert record["state"] == "succeeded", record
        assert Path(record["file"]).is_file()
        assert Path(record["file"]).resolve().is_relative_to(site / "media")
        assert record["renditions"], "renditions (with the overlay drawn) were stored"
        assert all(Path(r["file"]).is_file() for r in record["renditions"])
        assert time.monotonic() - started < 180

        probe = json.loads(run([str(python), "probe.py"], cwd=site, env=env).stdout)
    finally:
        server.terminate()
        server.wait(timeout=30)

    installed = env_dir.resolve()
    assert Path(probe["package"]).resolve().is_relative_to(installed), probe["package"]
    assert not Path(probe["package"]).resolve().is_relative_to(ROOT)
    assert Path(probe["template"]).resolve().is_relative_to(installed)
    assert probe["fonts"] and all(
        Path(f).resolve().is_relative_to(installed) for f in probe["fonts"]
    )
    assert probe["migrations"] and all(
        Path(m).resolve().is_relative_to(installed) for m in probe["migrations"]
    )
    assert probe["admin_status"] == 200
    assert probe["admin_german"] == "Generierte Bilder"  # the wheel's compiled catalogue
    assert probe["admin_page_has_german"]
