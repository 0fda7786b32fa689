"""Release metadata says what is true: one version, declared minimums that the nox
matrix pins, classifiers that match what it tests, a dev extra without duplicates."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

import django_nanobanana
import noxfile

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def minimum(requirement: Requirement) -> str | None:
    return next((s.version for s in requirement.specifier if s.operator == ">="), None)


def test_version_is_written_once():
    assert "version" not in PROJECT and "version" in PROJECT["dynamic"]
    assert Version(django_nanobanana.__version__)
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{django_nanobanana.__version__}]" in changelog


def test_licence_uses_pep_639_fields():
    assert PROJECT["license"] == "BSD-3-Clause"
    assert PROJECT["license-files"] == ["LICENSE"]
    assert not any(c.startswith("License ::") for c in PROJECT["classifiers"])
    assert "BSD 3-Clause" in (ROOT / "LICENSE").read_text(encoding="utf-8")


def test_nox_oldest_pins_exactly_the_declared_minimums():
    declared = {
        Requirement(r).name.lower(): minimum(Requirement(r)) for r in PROJECT["dependencies"]
    }
    pinned = {name: version for name, version in noxfile.OLDEST.items()}
    assert set(pinned) == set(declared)
    for name, version in pinned.items():
        # Equal, or the first release of the declared series (django-q2 1.7 -> 1.7.2).
        assert Version(version) >= Version(declared[name]), name
        assert Version(version).release[:2] == Version(declared[name]).release[:2], name


def test_classifiers_and_requires_python_match_the_matrix():
    assert PROJECT["requires-python"] == f">={noxfile.OLDEST_PYTHON}"
    pythons = {
        c.rsplit(" :: ", 1)[1]
        for c in PROJECT["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    }
    assert pythons == {noxfile.OLDEST_PYTHON, *noxfile.NEWEST_PYTHONS}
    django = next(
        Requirement(r) for r in PROJECT["dependencies"] if Requirement(r).name == "django"
    )
    frameworks = {
        c.rsplit(" :: ", 1)[1]
        for c in PROJECT["classifiers"]
        if c.startswith("Framework :: Django :: ")
    }
    assert frameworks == set(noxfile.DJANGO_SERIES)
    assert all(django.specifier.contains(f"{v}.0") for v in frameworks)
    assert not django.specifier.contains("6.2.0")


def test_dev_extra_lists_each_package_once():
    names = [Requirement(r).name.lower() for r in PROJECT["optional-dependencies"]["dev"]]
    assert len(names) == len(set(names)), names
    for tool in ("build", "twine", "polib", "mkdocs", "mkdocs-material", "nox"):
        assert tool in names
