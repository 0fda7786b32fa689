"""Queue many generations from a CSV or JSONL file; optionally wait with a progress bar."""

from __future__ import annotations

import argparse
import json
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    DjangoHelpFormatter,
)
from tqdm import tqdm

from ...exceptions import BatchValidationError, NanobananaError
from ...models import AssetVersion, State
from ...money import format_money
from ...services import execute_version
from ...services.batch import (
    COLUMNS_HELP,
    queue_rows,
    run_with_batch_api,
    summary,
    validate_file,
)
from ..json_errors import DetailedCommandError, JsonErrorsMixin


class _HelpFormatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Django's option order, and the columns table (the epilog) kept as written."""


class Command(JsonErrorsMixin, BaseCommand):
    help = (
        "Validate every row of a CSV or JSONL file (all bad lines reported, nothing "
        "queued), then queue one generation per row. --wait shows progress and a "
        "summary. The columns are listed below."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        kwargs.setdefault("epilog", COLUMNS_HELP)
        kwargs.setdefault("formatter_class", _HelpFormatter)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="a .csv (with a header row) or .jsonl file")
        parser.add_argument(
            "--mode",
            choices=["queue", "inline", "batch-api"],
            default="queue",
            help="queue: django-q2 workers run the rows; inline: run them here one by one; "
            "batch-api: send them as one Gemini Batch API job (half price, "
            "asynchronous) and wait for it",
        )
        parser.add_argument(
            "--poll-interval",
            type=float,
            default=30.0,
            help="seconds between Batch API polls (default: %(default)s)",
        )
        parser.add_argument("--wait", action="store_true", help="wait for every row to finish")
        parser.add_argument("--timeout", type=float, default=3600.0)
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            rows = validate_file(path)
        except BatchValidationError as exc:
            for line, message in exc.errors:
                self.stderr.write(f"{path}:{line}: {message}")
            raise DetailedCommandError(
                f"{len(exc.errors)} bad row(s) in {path.name}; nothing was queued",
                details={
                    "errors": [{"line": line, "message": message} for line, message in exc.errors]
                },
            ) from None
        inline = options["mode"] in ("inline", "batch-api")
        try:
            versions = queue_rows(rows, enqueue=not inline)
        except NanobananaError as exc:
            raise CommandError(" ".join(str(exc).split())) from None
        ids = [v.pk for v in versions]
        self.stderr.write(f"queued {len(ids)} generation(s)")
        if options["mode"] == "batch-api":
            run_with_batch_api(
                versions,
                timeout=options["timeout"],
                poll_interval=options["poll_interval"],
                report=lambda job, state: self.stderr.write(f"{job}: {state}"),
            )
        elif inline:
            for pk in tqdm(ids, desc="generating", unit="image", file=self.stderr):
                execute_version(pk)
        elif options["wait"]:
            self._wait(ids, options["timeout"])
        result = summary(ids)
        if options["json"]:
            self.stdout.write(json.dumps(result))
        else:
            shown = {**result, "cost": format_money(Decimal(result["cost"]))}
            self.stdout.write(" ".join(f"{k}: {v}" for k, v in shown.items() if v))
        if (inline or options["wait"]) and result[State.SUCCEEDED] != len(ids):
            raise CommandError(
                f"{len(ids) - result[State.SUCCEEDED]} of {len(ids)} did not succeed"
            )

    def _wait(self, ids: list[Any], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with tqdm(total=len(ids), desc="generating", unit="image", file=self.stderr) as bar:
            done = 0
            while True:
                finished = AssetVersion.objects.filter(pk__in=ids, state__in=State.final()).count()
                bar.update(finished - done)
                done = finished
                if done >= len(ids):
                    return
                if time.monotonic() > deadline:
                    raise CommandError(f"timed out with {len(ids) - done} still running")
                time.sleep(0.5)
