"""The documentation site builds with ``mkdocs build --strict`` (broken links, missing
pages and unknown anchors fail), and its API reference covers every operation."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .api.test_schema import OPERATIONS

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out


def text(page: Path) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")).split())


def test_every_page_in_the_nav_is_built(site):
    for page in (
        "getting-started",
        "models",
        "api-reference",
        "changelog",
        "security",
        "contributing",
        "admin",
        "api",
        "configuration",
        "deployment",
        "operations",
        "providers",
        "ledger",
        "integrations",
        "architecture",
    ):
        assert (site / page / "index.html").is_file(), page
    home = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="getting-started/"' in home


def test_api_reference_lists_every_operation_of_the_schema(site):
    reference = text(site / "api-reference" / "index.html")
    for path, method in OPERATIONS:
        assert f"{method.upper()} {path}" in reference, (method, path)


def test_changelog_and_security_policy_are_included(site):
    changelog = text(site / "changelog" / "index.html")
    assert "Upgrading" in changelog and "gemini-nano-banana-2.1" in changelog
    assert "Reporting a vulnerability" in text(site / "security" / "index.html")
