"""The compatibility matrix: the suite against the oldest and the newest dependencies.

``nox -s oldest`` installs the minimum of each core dependency that
``pyproject.toml`` declares (``OLDEST`` below must match it: a test checks), and
``nox -s newest`` the newest releases the declared ranges allow, on every Python
the classifiers list and for each Django series they list. Both run the SQLite suite
without the browser, slow, Redis and PostgreSQL tests (``make test`` runs those on the
dev environment); missing interpreters are skipped. See docs/contributing.md.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import nox
from packaging.version import Version

ROOT = Path(__file__).resolve().parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

nox.options.error_on_missing_interpreters = False
nox.options.sessions = ["oldest", "newest"]

#: The declared minimums (pyproject.toml ``dependencies``), pinned exactly: the first
#: published release of each declared series (PyPI has no django-q2 1.7.0/1.7.1).
OLDEST = {
    "django": "5.2",
    "djangorestframework": "3.15.0",
    "django-q2": "1.7.2",
    "pillow": "11.3.0",
    "httpx": "0.27.0",
    "tenacity": "8.3.0",
    "tqdm": "4.66.0",
}
OLDEST_PYTHON = "3.11"
NEWEST_PYTHONS = ["3.11", "3.12", "3.13"]
#: The Django series the package supports (its classifiers; a test checks): each is run.
DJANGO_SERIES = ["5.2", "6.0", "6.1"]

#: Extras the suite imports (the CMS extras have their own settings and are left out).
EXTRAS = "drf,vertex,redis"
#: Test tools: the dev extra without the package itself and the docs/release tools.
NOT_FOR_THE_SUITE = ("django-nanobanana[", "mkdocs", "neoteroi", "build", "twine")
TEST_TOOLS = [
    requirement
    for requirement in PYPROJECT["project"]["optional-dependencies"]["dev"]
    if not requirement.startswith(NOT_FOR_THE_SUITE)
] + ["dj-database-url>=2.2"]

PYTEST = [
    "pytest",
    "-p",
    "no:cacheprovider",
    "-q",
    "--ignore=tests/contrib",
    "-m",
    "not postgres and not browser and not slow and not redis",
]


def run_suite(session: nox.Session, *constraints: str) -> None:
    session.install(f".[{EXTRAS}]", *TEST_TOOLS, *constraints)
    session.run("python", "-m", "pip", "freeze", silent=False)
    session.run(*PYTEST, *session.posargs, env={"CI": ""})


@nox.session(python=OLDEST_PYTHON, tags=["matrix"])
def oldest(session: nox.Session) -> None:
    """The suite with every core dependency at its declared minimum."""
    pins = [f"{name}=={version}" for name, version in OLDEST.items()]
    constraints = Path(session.create_tmp()) / "oldest.txt"
    constraints.write_text("\n".join(pins) + "\n", encoding="utf-8")
    run_suite(session, "-c", str(constraints))


@nox.session(python=NEWEST_PYTHONS, tags=["matrix"])
@nox.parametrize("django", DJANGO_SERIES)
def newest(session: nox.Session, django: str) -> None:
    """The suite with the newest releases the declared ranges allow, per Django series."""
    python = tuple(int(part) for part in str(session.python).split("."))
    if Version(django) >= Version("6.0") and python < (3, 12):
        session.skip(f"Django {django} needs Python 3.12 or newer")
    run_suite(session, "--upgrade", "--upgrade-strategy", "eager", f"django=={django}.*")
