"""MkDocs hooks (mkdocs.yml ``hooks:``): write the OpenAPI schema before the site is built.

The schema comes from drf-spectacular's ``spectacular`` command with the API's own
generator (only this API's operations, at their mounted paths), so the API reference in
docs/api-reference.md can never drift from the code. It is written outside ``docs/`` so
that ``mkdocs serve`` does not rebuild in a loop.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "build" / "openapi" / "nanobanana.yaml"


def on_pre_build(config: Any, **kwargs: Any) -> None:
    SCHEMA.parent.mkdir(parents=True, exist_ok=True)
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="docs_schema_settings",
        PYTHONPATH=os.pathsep.join([str(ROOT / "scripts"), str(ROOT)]),
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "spectacular",
            "--generator-class",
            "django_nanobanana.api.schema.APISchemaGenerator",
            "--file",
            str(SCHEMA),
            "--validate",
            "--fail-on-warn",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
