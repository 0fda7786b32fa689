"""Settings for the test suite (pytest-django)."""

import os
import tempfile

import dj_database_url

BASE_TMP = tempfile.mkdtemp(prefix="nanobanana-tests-")
SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"

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
    "django_filters",
    "django_q",
    "django_nanobanana",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "tests.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
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

# SQLite by default (a file, so that worker processes spawned by tests share it);
# NANOBANANA_TEST_DATABASE_URL switches the whole suite to another server.
_db_url = os.environ.get("NANOBANANA_TEST_DATABASE_URL")
if _db_url:
    DATABASES = {"default": dj_database_url.parse(_db_url)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.path.join(BASE_TMP, "db.sqlite3"),
            "TEST": {"NAME": os.path.join(BASE_TMP, "test-db.sqlite3")},
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL;",
            },
        }
    }

# Worker processes started by tests (qcluster) are pointed at the test process's database,
# media folder and settings through these variables.
if os.environ.get("NANOBANANA_TEST_DB_NAME"):
    DATABASES["default"]["NAME"] = os.environ["NANOBANANA_TEST_DB_NAME"]
if os.environ.get("NANOBANANA_TEST_MEDIA"):
    BASE_TMP = os.path.dirname(os.environ["NANOBANANA_TEST_MEDIA"])

STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": os.path.join(BASE_TMP, "media"), "base_url": "/media/"},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if os.environ.get("NANOBANANA_TEST_STORAGES_JSON"):  # worker processes of scale tests (S3)
    import json

    STORAGES.update(json.loads(os.environ["NANOBANANA_TEST_STORAGES_JSON"]))
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
LOGIN_URL = "/admin/login/"

Q_CLUSTER = {
    "name": "nanobanana-tests",
    "orm": "default",
    "sync": False,
    "workers": 2,
    "timeout": 60,
    "retry": 90,
    "max_attempts": 2,
    "ack_failures": True,
    "catch_up": False,
    "poll": 0.2,
}
# Worker processes of scale tests get more (a broker, ALT_CLUSTERS) through this variable;
# each runs as the cluster its Q_CLUSTER_NAME names.
if os.environ.get("NANOBANANA_TEST_Q_CLUSTER_JSON"):
    import json

    Q_CLUSTER.update(json.loads(os.environ["NANOBANANA_TEST_Q_CLUSTER_JSON"]))

# A placeholder key and a closed port: nothing in the suite can reach Google by accident;
# tests that generate point the provider at the fake server (fixture ``nanobanana_fake``).
NANOBANANA = {
    "PROVIDERS": {
        "gemini": {
            "API_KEY": "tests-placeholder-key",
            "API_KEY_ENV": None,
            "BASE_URL": "http://127.0.0.1:9",
        }
    },
}
if os.environ.get("NANOBANANA_TEST_SETTINGS_JSON"):
    import json

    NANOBANANA = json.loads(os.environ["NANOBANANA_TEST_SETTINGS_JSON"])
if os.environ.get("NANOBANANA_TEST_SIGNAL_LOG"):
    INSTALLED_APPS.append("tests.signal_log")

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
