"""What the pruning commands share: ``--older-than DAYS`` (default: a retention setting)
and ``--dry-run``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.management.base import CommandError, CommandParser


def add_retention_arguments(
    parser: CommandParser, *, days_type: Callable[[str], Any], days_help: str, dry_run_help: str
) -> None:
    parser.add_argument("--older-than", type=days_type, metavar="DAYS", help=days_help)
    parser.add_argument("--dry-run", action="store_true", help=dry_run_help)


def retention_days(options: dict[str, Any], default: Any, *, unset: str, negative: str) -> Any:
    """``--older-than``, else the setting's ``default``. CommandError ``unset`` when
    neither gives a number, ``negative`` when it is below zero."""
    days = options["older_than"]
    if days is None:
        days = default
    if days is None:
        raise CommandError(unset)
    if days < 0:
        raise CommandError(negative)
    return days
