"""Settings of the example site that embeds django-nanobanana.

Everything that differs between machines comes from the environment:

- ``GEMINI_API_KEY``: the Gemini key (``make demo`` starts the fake server without one).
- ``NANOBANANA_GEMINI_BASE_URL``: where the Gemini API is (Google, a proxy, the fake).
- ``DATABASE_URL``: another database (default: SQLite next to this file).
- ``DJANGO_SECRET_KEY``, ``DJANGO_DEBUG``, ``DJANGO_ALLOWED_HOSTS``.
- ``DJANGO_MEDIA_ROOT``: where uploaded and generated files go (default: ``media/`` here).
- ``DJANGO_SQLITE_PATH``: the SQLite file (default: ``db.sqlite3`` here).
- ``NANOBANANA_IMAGES_PER_MINUTE``, ``NANOBANANA_TYPICAL_LATENCY`` (seconds): size the
  I/O cluster (``NANOBANANA_IO_WORKERS`` / ``NANOBANANA_CPU_WORKERS`` set the counts).
- ``NANOBANANA_API_GENERATE_RATE``: per-user throttle of the REST API's generation
  endpoints (default ``30/minute``; ``none`` turns it off).

Beside a running ``make demo`` (a second terminal, no exports): in DEBUG and without a
``GEMINI_API_KEY``, ``manage.py`` finds the demo's fake Gemini server and key in the small
state file ``make demo`` writes (``.demo-fake-gemini.json`` here, removed when the demo
stops; ``NANOBANANA_DEMO_STATE`` names another file). It is used only while that server
answers.
"""

import json
import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.management.utils import get_random_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or (
    "example-project-insecure-debug-key" if DEBUG else get_random_secret_key()
)
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")


def _running_demo_fake_gemini() -> dict:
    """The fake Gemini server of a running ``make demo`` ({"base_url", "api_key"}), if any."""
    path = Path(os.environ.get("NANOBANANA_DEMO_STATE") or BASE_DIR / ".demo-fake-gemini.json")
    try:
        state = json.loads(path.read_text())
        url = urlsplit(state["base_url"])
        with socket.create_connection((url.hostname, url.port or 80), timeout=0.3):
            pass  # it answers: the demo is running
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return state


if DEBUG and not os.environ.get("GEMINI_API_KEY"):
    _demo = _running_demo_fake_gemini()
    if _demo:
        os.environ["GEMINI_API_KEY"] = _demo["api_key"]
        os.environ["NANOBANANA_GEMINI_BASE_URL"] = _demo["base_url"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served locally: no CDN
    "django_filters",
    "django_q",
    "django_nanobanana",
    "demo",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "example_project.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
WSGI_APPLICATION = "example_project.wsgi.application"

# SQLite by default, tuned so the web process and the workers don't lock each other out:
# WAL journal, IMMEDIATE transactions (no upgrade deadlocks), a busy timeout.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DJANGO_SQLITE_PATH") or BASE_DIR / "db.sqlite3",
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }
}
if os.environ.get("DATABASE_URL"):
    DATABASES["default"] = dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT") or BASE_DIR / "media")
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "static"

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
USE_I18N = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-q2 with the ORM broker. The reasoning behind each number is in docs/operations.md:
# timeout (one task may run) < retry (when the broker redelivers an unacknowledged task).
# Two clusters (docs/deployment.md, "Sizing the workers"): "nanobanana-io" waits on the
# provider (workers = images per minute / 60 x typical latency, with headroom), and
# "nanobanana-cpu" writes renditions (workers = cores). Each runs as its own process:
# ``Q_CLUSTER_NAME=nanobanana-io manage.py qcluster`` (see the Procfiles).
from django_nanobanana.workers import cpu_workers, io_workers  # noqa: E402

IMAGES_PER_MINUTE = float(os.environ.get("NANOBANANA_IMAGES_PER_MINUTE", "30"))
TYPICAL_LATENCY_SECONDS = float(os.environ.get("NANOBANANA_TYPICAL_LATENCY", "15"))
IO_WORKERS = int(
    os.environ.get("NANOBANANA_IO_WORKERS")
    or io_workers(IMAGES_PER_MINUTE, TYPICAL_LATENCY_SECONDS)
)
CPU_WORKERS = int(os.environ.get("NANOBANANA_CPU_WORKERS") or cpu_workers())
Q_CLUSTER = {
    "name": "nanobanana",
    "orm": "default",
    "workers": 1,  # the default cluster only runs schedules (the reaper)
    "timeout": 300,
    "retry": 360,
    "max_attempts": 3,
    "ack_failures": True,
    "catch_up": False,
    "poll": 0.5,
    "ALT_CLUSTERS": {
        # queue_limit: tasks fetched ahead; a few per worker keeps every worker busy.
        "nanobanana-io": {"workers": IO_WORKERS, "queue_limit": IO_WORKERS * 2},
        "nanobanana-cpu": {"workers": CPU_WORKERS, "queue_limit": CPU_WORKERS * 2},
    },
}

NANOBANANA = {
    "IO_QUEUE_NAME": "nanobanana-io",
    "CPU_QUEUE_NAME": "nanobanana-cpu",
    "DEFAULT_MODEL": os.environ.get("NANOBANANA_DEFAULT_MODEL", "gemini-nano-banana-2.1"),
    "PROVIDERS": {
        "gemini": {
            "API_KEY_ENV": "GEMINI_API_KEY",
            "BASE_URL": os.environ.get(
                "NANOBANANA_GEMINI_BASE_URL", "https://generativelanguage.googleapis.com"
            ),
        },
    },
}

# REST API (docs/api.md): token and session authentication, the per-user throttle of the
# generation endpoints, the OpenAPI schema with drf-spectacular.
_generate_rate = os.environ.get("NANOBANANA_API_GENERATE_RATE", "30/minute")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "django_nanobanana.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "nanobanana_generate": None if _generate_rate.lower() == "none" else _generate_rate,
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "django-nanobanana example site",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_nanobanana": {"handlers": ["console"], "level": "INFO"}},
}

# -- CMS integrations: enabled when their extras are installed (make demo installs them) ------
# docs/integrations.md. Without Wagtail / django CMS the site runs as before.
import importlib.util  # noqa: E402

if importlib.util.find_spec("wagtail"):
    INSTALLED_APPS += [
        "wagtail.contrib.forms",
        "wagtail.contrib.redirects",
        "wagtail.sites",
        "wagtail.users",
        "wagtail.snippets",
        "wagtail.documents",
        "wagtail.images",
        "wagtail.search",
        "wagtail.admin",
        "wagtail",
        "modelcluster",
        "taggit",
        "django_nanobanana.contrib.wagtail",
        "demo.wagtail_pages",
    ]
    WAGTAIL_SITE_NAME = "django-nanobanana demo"
    # The demo works offline: no avatars from gravatar.com, no check for Wagtail releases.
    WAGTAIL_GRAVATAR_PROVIDER_URL = None
    WAGTAIL_ENABLE_UPDATE_CHECK = False
    WAGTAILADMIN_BASE_URL = "http://127.0.0.1:8000"
    WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}

if importlib.util.find_spec("cms"):
    INSTALLED_APPS += [
        "django.contrib.sites",
        "cms",
        "menus",
        "treebeard",
        "sekizai",
        "django_nanobanana.contrib.djangocms",
    ]
    MIDDLEWARE += [
        "django.middleware.locale.LocaleMiddleware",
        "cms.middleware.user.CurrentUserMiddleware",
        "cms.middleware.page.CurrentPageMiddleware",
        "cms.middleware.toolbar.ToolbarMiddleware",
        "cms.middleware.language.LanguageCookieMiddleware",
    ]
    TEMPLATES[0]["OPTIONS"]["context_processors"] += [
        "django.template.context_processors.i18n",
        "sekizai.context_processors.sekizai",
        "cms.context_processors.cms_settings",
    ]
    SITE_ID = 1
    LANGUAGES = [("en-us", "English")]
    CMS_CONFIRM_VERSION4 = True
    CMS_TEMPLATES = [("cms_demo.html", "Demo page")]
    X_FRAME_OPTIONS = "SAMEORIGIN"  # django CMS edits in frames
    # The toolbar only on django CMS's own pages and endpoints (a production setting): the
    # REST API and the admin do not build a toolbar (a user-settings query per staff request).
    CMS_TOOLBAR_HIDE = True
    # django CMS 5.1 with treebeard 5.3: a forward-compatibility warning from django CMS itself.
    SILENCED_SYSTEM_CHECKS = ["treebeard.E001"]
