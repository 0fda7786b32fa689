"""Translations: complete German and French catalogues, compiled, and used.

- Every string marked in the code and templates is in both catalogues, translated, not
  fuzzy, with the same placeholders, and the committed ``.mo`` files match the ``.po``
  files (``make messages`` refreshes both; see docs/contributing.md).
- The admin and the API's error messages come out in German when the site speaks German.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.utils import translation

from django_nanobanana.models import GeneratedAsset
from tests.helpers import API, client_for, make_user, require_service

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "django_nanobanana"
LANGUAGES = ("de", "fr")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[-+ #0-9.]*[a-z]")


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    """LocaleMiddleware leaves the request's language active in this thread: reset it so
    that later tests see the default language again."""
    yield
    translation.deactivate()


def key(entry: polib.POEntry | polib.MOEntry) -> tuple[str, str, str]:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


def catalogue(lang: str) -> polib.POFile:
    return polib.pofile(str(PACKAGE / "locale" / lang / "LC_MESSAGES" / "django.po"))


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> set[tuple[str, str, str]]:
    """The msgids that ``makemessages`` finds in the code today (in a copy of the package)."""
    if shutil.which("xgettext") is None:
        require_service("xgettext", "GNU gettext (xgettext) is missing: apt-get install gettext")
    copy = tmp_path_factory.mktemp("extract") / "django_nanobanana"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("locale", "__pycache__"))
    (copy / "locale").mkdir()
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="tests.settings", PYTHONPATH=str(ROOT))
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "de"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return {key(e) for e in polib.pofile(str(copy / "locale/de/LC_MESSAGES/django.po"))}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_marked_string_is_in_the_catalogue(extracted, lang):
    present = {key(e) for e in catalogue(lang) if not e.obsolete}
    missing = sorted(m for _, m, _ in extracted - {k for k in present})
    assert not missing, (
        f"{len(missing)} marked strings are not in locale/{lang}: run `make messages` and "
        f"translate them: {missing[:10]}"
    )
    stale = sorted(m for _, m, _ in present - extracted)
    assert not stale, f"locale/{lang} has msgids no longer in the code: {stale[:10]}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_entry_is_translated_with_its_placeholders(lang):
    po = catalogue(lang)
    assert po.metadata["Language"] == lang
    assert "Plural-Forms" in po.metadata and not po.metadata_is_fuzzy
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not untranslated, f"untranslated in {lang}: {untranslated[:10]}"
    assert not fuzzy, f"fuzzy in {lang}: {fuzzy[:10]}"
    for entry in po:
        pairs = (
            [(entry.msgid, entry.msgstr_plural[0]), (entry.msgid_plural, entry.msgstr_plural[1])]
            if entry.msgid_plural
            else [(entry.msgid, entry.msgstr)]
        )
        for source, translated in pairs:
            assert sorted(PLACEHOLDER.findall(source)) == sorted(PLACEHOLDER.findall(translated)), (
                lang,
                source,
                translated,
            )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalogue_matches_the_po_file(lang):
    mo_path = PACKAGE / "locale" / lang / "LC_MESSAGES" / "django.mo"
    assert mo_path.is_file(), f"run `make messages` to compile locale/{lang}"
    compiled = {key(e): (e.msgstr, e.msgstr_plural) for e in polib.mofile(str(mo_path)) if e.msgid}
    source = {
        key(e): (e.msgstr, e.msgstr_plural)
        for e in catalogue(lang)
        if e.translated() and not e.obsolete
    }
    assert compiled == source, f"locale/{lang}/LC_MESSAGES/django.mo is stale: `make messages`"


@pytest.mark.django_db
def test_admin_speaks_german(settings, client):
    settings.LANGUAGE_CODE = "de"
    admin = make_user("admin", staff=True)
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    GeneratedAsset.objects.create(title="Leuchtturm", owner=admin)  # so the list has actions
    page = client.get("/admin/nanobanana/generatedasset/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Generierte Bilder" in html  # the model's verbose_name_plural (breadcrumbs)
    assert "Neue Version generieren …" in html  # an admin action
    assert "Kosten bisher (USD)" in html and "Noch keine Version" in html  # column, cell
    assert "Nutzungs-Dashboard" in html  # the changelist template's link
    add = client.get("/admin/nanobanana/generatedasset/add/").content.decode()
    assert "Seitenverhältnis" in add and "Alternativtext" in add


@pytest.mark.django_db
def test_api_errors_speak_german_to_a_german_client(settings):
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE[:2],
        "django.middleware.locale.LocaleMiddleware",
        *settings.MIDDLEWARE[2:],
    ]
    api = client_for(make_user("alice", perms=("nanobanana.generate",)))
    response = api.post(
        f"{API}/assets/",
        {"prompt": "A harbour", "aspect_ratio": "7:3"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"  # codes stay English: they are for programs
    assert "unterstützt das Seitenverhältnis 7:3 nicht; erlaubt:" in error["message"]
    assert "unterstützt das Seitenverhältnis 7:3 nicht" in " ".join(
        error["field_errors"]["aspect_ratio"]
    )
    french = api.post(
        f"{API}/assets/",
        {"prompt": "A harbour", "aspect_ratio": "7:3"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="fr",
    ).json()["error"]
    assert "ne prend pas en charge les proportions 7:3 ; autorisées :" in french["message"]
    english = api.post(
        f"{API}/assets/", {"prompt": "A harbour", "aspect_ratio": "7:3"}, format="json"
    ).json()["error"]
    assert "does not support aspect ratio 7:3; allowed:" in english["message"]
    anonymous = client_for(None).get(f"{API}/assets/", HTTP_ACCEPT_LANGUAGE="de")
    assert anonymous.json()["error"]["code"] == "not_authenticated"
    assert anonymous.json()["error"]["message"] == "Anmeldedaten fehlen."  # DRF's catalogue
