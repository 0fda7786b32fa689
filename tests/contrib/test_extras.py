"""Each integration is importable only with its extra; a system check names what is missing.

Runs under both the main and the CMS test settings (the CMS packages are blocked here with
``sys.modules[name] = None``, which makes ``import name`` fail as if it were absent)."""

from __future__ import annotations

import importlib
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from django_nanobanana import contrib
from django_nanobanana.contrib.checks import missing_extra_check

MODULES = {
    "wagtail": ("wagtail", ["blocks", "panels", "viewsets", "images"]),
    "djangocms": ("cms", ["cms_plugins", "forms"]),
}


def _block(monkeypatch, package: str) -> None:
    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, package, None)


@pytest.mark.parametrize("integration", ["wagtail", "djangocms"])
def test_modules_raise_improperly_configured_without_the_extra(monkeypatch, integration):
    package, modules = MODULES[integration]
    _block(monkeypatch, package)
    for module in modules:
        name = f"django_nanobanana.contrib.{integration}.{module}"
        monkeypatch.delitem(sys.modules, name, raising=False)
        with pytest.raises(ImproperlyConfigured) as excinfo:
            importlib.import_module(name)
        message = str(excinfo.value)
        extra = contrib.EXTRAS[integration][1]
        assert f"pip install 'django-nanobanana[{extra}]'" in message
        assert f"django_nanobanana.contrib.{integration}" in message
    # The package itself (and its app config) always imports, so the check can run.
    importlib.import_module(f"django_nanobanana.contrib.{integration}.apps")


@pytest.mark.parametrize(
    ("integration", "check_id"), [("wagtail", "nanobanana.E101"), ("djangocms", "nanobanana.E102")]
)
def test_system_check_reports_the_missing_extra(monkeypatch, integration, check_id):
    check = missing_extra_check(integration)
    assert check() == []  # installed in the dev environment
    _block(monkeypatch, MODULES[integration][0])
    errors = check()
    assert [e.id for e in errors] == [check_id]
    assert "pip install" in errors[0].hint and "INSTALLED_APPS" in errors[0].hint
