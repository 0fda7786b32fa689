"""Usage per user / model / day / source: ``manage.py nanobanana_usage --by user,day``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...ledger.reports import GROUPS, METRICS, check_day, to_json, usage, write_csv
from ...models import Source

TABLE_METRICS = ("requests", "succeeded", "refused", "images", "cached", "cost", "avoided_cost")


def _date(value: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}") from None
    try:
        return check_day(day)
    except ValueError as exc:
        raise CommandError(str(exc)) from None


class Command(BaseCommand):
    help = (
        "Report image generation usage (requests, images, cost in USD, cost avoided by the "
        "cache, tokens) grouped by user, model, day and/or source. Days are in the budget "
        "time zone; --since and --until are inclusive."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", help="only this username")
        parser.add_argument("--since", type=_date, help="first day, YYYY-MM-DD")
        parser.add_argument("--until", type=_date, help="last day, YYYY-MM-DD")
        parser.add_argument(
            "--by", default="user", help="comma-separated: user, model, day, source (default: user)"
        )
        parser.add_argument("--model", help="only this model id")
        parser.add_argument(
            "--source", choices=Source.values, help="only this source (admin, api, cli, batch)"
        )
        parser.add_argument("--format", choices=("table", "csv"), default="table")

    def handle(self, *args: Any, **options: Any) -> None:
        group_by = tuple(part.strip() for part in options["by"].split(",") if part.strip())
        unknown = [g for g in group_by if g not in GROUPS]
        if unknown:
            raise CommandError(f"cannot group by {', '.join(unknown)}; use {', '.join(GROUPS)}")
        if options["since"] and options["until"] and options["since"] > options["until"]:
            raise CommandError("--since must not be after --until")
        rows = to_json(
            usage(
                user=options["user"],
                since=options["since"],
                until=options["until"],
                group_by=group_by,
                model=options["model"],
                source=options["source"],
            )
        )
        if options["format"] == "csv":
            write_csv(self.stdout, rows, [*group_by, *METRICS])
            return
        self._table(rows, group_by)

    def _table(self, rows: list[dict[str, Any]], group_by: tuple[str, ...]) -> None:
        columns = [*group_by, *TABLE_METRICS]
        if not rows:
            self.stdout.write("No usage.")
            return
        sums: dict[str, Any] = {}
        for name in TABLE_METRICS:
            values = [row[name] for row in rows]
            sums[name] = (
                f"{sum((Decimal(v) for v in values), Decimal('0.000000')):f}"
                if name in ("cost", "avoided_cost")
                else sum(int(v) for v in values)
            )
        body = [
            [str(row.get(c) if row.get(c) not in (None, "") else "-") for c in columns]
            for row in rows
        ]
        footer = ["TOTAL", *[""] * (len(group_by) - 1), *[str(sums[n]) for n in TABLE_METRICS]]
        if not group_by:
            footer = []
        widths = [
            max(len(c), *(len(r[i]) for r in [*body, *([footer] if footer else [])]))
            for i, c in enumerate(columns)
        ]
        numeric = {i for i, c in enumerate(columns) if c in TABLE_METRICS}

        def line(cells: list[str]) -> str:
            return "  ".join(
                cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i])
                for i, cell in enumerate(cells)
            ).rstrip()

        self.stdout.write(line(columns))
        self.stdout.write(line(["-" * w for w in widths]))
        for cells in body:
            self.stdout.write(line(cells))
        if footer:
            self.stdout.write(line(["-" * w for w in widths]))
            self.stdout.write(line(footer))
