"""What the benchmark scripts share: a free port, waiting for a process to come up, the
fake Gemini server as a subprocess, the example project's environment and migrations, and
writing a table into ``benchmarks/README.md`` between its markers.

The scripts import it as ``_support`` (their own folder is first on ``sys.path`` when run
as ``python benchmarks/NAME.py``; a script loaded by path puts the folder there itself).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the tests' helpers (polling, the photo-like test image)
    sys.path.insert(0, str(ROOT))

from tests.helpers import accepts, free_port  # noqa: E402
from tests.helpers import wait_for as wait_until  # noqa: E402

EXAMPLE = ROOT / "example_project"
README = ROOT / "benchmarks" / "README.md"
#: The key the fake server accepts and the benchmarks' projects send.
API_KEY = "bench-key"
MANAGE = [sys.executable, "manage.py"]


def start_fake(
    image_file: Path | None = None, *, latency: float | None = None, port: int | None = None
) -> tuple[subprocess.Popen, str]:
    """The fake Gemini server in a process of its own (every answer ``image_file`` when
    given, each after ``latency`` s), once it accepts connections: (process, base URL)."""
    port = port or free_port()
    command = [
        sys.executable,
        "-m",
        "django_nanobanana.testing.fake_gemini",
        "--port",
        str(port),
        "--api-key",
        API_KEY,
    ]
    if latency is not None:
        command += ["--latency", str(latency)]
    if image_file:
        command += ["--image-file", str(image_file)]
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_until(lambda: accepts(port, timeout=0.2), 30, "the fake server did not start")
    except RuntimeError:
        process.kill()
        raise
    return process, f"http://127.0.0.1:{port}"


def example_env(media_root: str | Path, **extra: str) -> dict[str, str]:
    """The environment the example project runs with in a benchmark (production-like:
    DEBUG off), plus ``extra``."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "example_project.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "benchmark-secret-key-" + "x" * 40,
        "DJANGO_MEDIA_ROOT": str(media_root),
        "GEMINI_API_KEY": API_KEY,
        "PYTHONPATH": f"{ROOT}{os.pathsep}{EXAMPLE}",
        **extra,
    }


def migrate(env: dict[str, str]) -> None:
    subprocess.run([*MANAGE, "migrate", "--noinput", "-v", "0"], cwd=EXAMPLE, env=env, check=True)


def write_readme(section: str, text: str) -> None:
    """Put ``text`` between ``<!-- section:start -->`` and ``<!-- section:end -->`` in the
    README (appended with its markers when they are missing)."""
    content = README.read_text(encoding="utf-8")
    start, end = f"<!-- {section}:start -->", f"<!-- {section}:end -->"
    block = f"{start}\n{text}\n{end}"
    if start in content:
        head, rest = content.split(start, 1)
        content = head + block + rest.split(end, 1)[1]
    else:
        content = content.rstrip() + "\n\n" + block + "\n"
    README.write_text(content, encoding="utf-8")
