"""Fold old audit rows into per-day totals: ``manage.py nanobanana_prune_audit --older-than 90``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ...conf import nanobanana_settings
from ...ledger import prune_audit


class Command(BaseCommand):
    help = (
        "Delete finished audit rows older than --older-than days (default: "
        "NANOBANANA['AUDIT_RETENTION_DAYS']) after folding them into per-(day, user, model, "
        "source) totals, so usage reports and costs are unchanged. Prompts and per-request "
        "details of the pruned rows are gone; the ledger (money) is never pruned."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=int,
            metavar="DAYS",
            help="age in days (default: AUDIT_RETENTION_DAYS)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="only count what would be pruned"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["older_than"]
        if days is None:
            days = nanobanana_settings.AUDIT_RETENTION_DAYS
        if days is None:
            raise CommandError("Give --older-than DAYS or set NANOBANANA['AUDIT_RETENTION_DAYS'].")
        if days < 0:
            raise CommandError("--older-than must be zero or more days.")
        before = timezone.now() - timedelta(days=days)
        count = prune_audit(before=before, dry_run=options["dry_run"])
        verb = "Would prune" if options["dry_run"] else "Pruned"
        self.stdout.write(f"{verb} {count} audit rows older than {before:%Y-%m-%d %H:%M %Z}.")
