"""Delete reference images no version uses (also runs daily on a django-q2 schedule)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...conf import nanobanana_settings
from ...services.references import delete_unused_references
from ..retention import add_retention_arguments, retention_days


class Command(BaseCommand):
    help = (
        "Delete reference images (rows and files) that no version uses and that nobody "
        "uploaded or used for the retention period (REFERENCE_RETENTION_DAYS, or "
        "--older-than DAYS)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_retention_arguments(
            parser,
            days_type=float,
            days_help="retention in days (default: REFERENCE_RETENTION_DAYS)",
            dry_run_help="only count what would be deleted",
        )
        parser.add_argument("--json", action="store_true", help="print the counts as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        days = retention_days(
            options,
            nanobanana_settings.REFERENCE_RETENTION_DAYS,
            unset="REFERENCE_RETENTION_DAYS is None: pass --older-than DAYS.",
            negative="--older-than must not be negative.",
        )
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
