"""Requeue or fail versions whose worker was lost (also runs on a django-q2 schedule)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from ...services.reaper import reap


class Command(BaseCommand):
    help = (
        "Return versions stuck in 'running' past their lease to the queue (or fail them "
        "after the attempt limit) and re-enqueue queued versions whose task was lost."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="print the counts as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        counts = reap()
        if options["json"]:
            self.stdout.write(json.dumps(counts))
        else:
            self.stdout.write(", ".join(f"{k}: {v}" for k, v in counts.items()))
