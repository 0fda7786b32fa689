"""Delete reference images no version uses (also runs daily on a django-q2 schedule)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...conf import nanobanana_settings
from ...services.references import delete_unused_references


class Command(BaseCommand):
    help = (
        "Delete reference images (rows and files) that no version uses and that nobody "
        "uploaded or used for the retention period (REFERENCE_RETENTION_DAYS, or "
        "--older-than DAYS)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=float,
            metavar="DAYS",
            help="retention in days (default: REFERENCE_RETENTION_DAYS)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="only count what would be deleted"
        )
        parser.add_argument("--json", action="store_true", help="print the counts as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["older_than"]
        if days is None:
            days = nanobanana_settings.REFERENCE_RETENTION_DAYS
        if days is None:
            raise CommandError("REFERENCE_RETENTION_DAYS is None: pass --older-than DAYS.")
        if days < 0:
            raise CommandError("--older-than must not be negative.")
        counts = delete_unused_references(
            older_than=timedelta(days=days), dry_run=options["dry_run"]
        )
        if options["json"]:
            self.stdout.write(json.dumps(counts))
        else:
            verb = "would delete" if options["dry_run"] else "deleted"
            self.stdout.write(
                f"{verb} {counts['references']} reference images ({counts['files']} files)"
            )
