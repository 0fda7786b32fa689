"""Fold old audit rows into per-day totals: ``manage.py nanobanana_prune_audit --older-than 90``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from ...conf import nanobanana_settings
from ...ledger import prune_audit
from ..retention import add_retention_arguments, retention_days


class Command(BaseCommand):
    help = (
        "Delete finished audit rows older than --older-than days (default: "
        "NANOBANANA['AUDIT_RETENTION_DAYS']) after folding them into per-(day, user, model, "
        "source) totals, so usage reports and costs are unchanged. Prompts and per-request "
        "details of the pruned rows are gone; the ledger (money) is never pruned."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_retention_arguments(
            parser,
            days_type=int,
            days_help="age in days (default: AUDIT_RETENTION_DAYS)",
            dry_run_help="only count what would be pruned",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = retention_days(
            options,
            nanobanana_settings.AUDIT_RETENTION_DAYS,
            unset="Give --older-than DAYS or set NANOBANANA['AUDIT_RETENTION_DAYS'].",
            negative="--older-than must be zero or more days.",
        )
        before = timezone.now() - timedelta(days=days)
        count = prune_audit(before=before, dry_run=options["dry_run"])
        verb = "Would prune" if options["dry_run"] else "Pruned"
        self.stdout.write(f"{verb} {count} audit rows older than {before:%Y-%m-%d %H:%M %Z}.")
