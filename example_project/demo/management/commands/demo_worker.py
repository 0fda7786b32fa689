"""Run ``manage.py qcluster`` for ``make demo`` so that Ctrl-C stops it cleanly.

honcho stops a process by sending SIGTERM to its whole process group: django-q2's
sentinel, pusher and workers would all get it at once, die mid-way, and leave the cluster
process waiting until honcho's SIGKILL (5 s later; ``make`` then reports an error). Here
the cluster runs in its own process group and only its main process gets the SIGTERM,
which is django-q2's documented way to stop it (workers finish, then exit). Whatever is
still running after ``--grace`` seconds (below honcho's 5 s) is killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run qcluster in its own process group; SIGTERM/SIGINT stop it gracefully."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--grace",
            type=float,
            default=4.0,
            help="seconds the cluster gets to stop (default: %(default)s)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        cluster = subprocess.Popen(
            [sys.executable, sys.argv[0], "qcluster"], start_new_session=True
        )
        stopping: list[float] = []

        def stop(signum: int, frame: Any) -> None:
            if not stopping:
                stopping.append(time.monotonic())
                cluster.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while cluster.poll() is None:
            if stopping and time.monotonic() - stopping[0] > options["grace"]:
                os.killpg(cluster.pid, signal.SIGKILL)
                cluster.wait()
                break
            time.sleep(0.1)
        if stopping:
            try:  # nothing of the cluster may outlive it
                os.killpg(cluster.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            sys.exit(0)
        sys.exit(cluster.returncode)
