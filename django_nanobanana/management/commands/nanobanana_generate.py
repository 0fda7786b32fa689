"""Generate an image from the command line: ``manage.py nanobanana_generate --prompt "..."``."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from ...exceptions import NanobananaError, RequestValidationError
from ...models import AssetVersion, Source, State
from ...services import GenerationParams, execute_version, generate
from ...storage import get_storage


def one_line(text: str) -> str:
    return " ".join(str(text).split())


class Command(BaseCommand):
    help = (
        "Generate an image with the configured Gemini provider, store it, and print the "
        "asset id and the file (one JSON object with --json). Exits non-zero with a "
        "one-line reason when anything goes wrong."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--prompt", required=True, help="what to draw")
        parser.add_argument("--model", help="model id (default: NANOBANANA['DEFAULT_MODEL'])")
        parser.add_argument("--aspect-ratio", help="e.g. 16:9")
        parser.add_argument("--size", help="image size: 512, 1K, 2K or 4K (model permitting)")
        parser.add_argument("--title", default="", help="asset title (default: the prompt)")
        parser.add_argument("--seed", type=int)
        parser.add_argument("--provider", help="provider alias (default: the default provider)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        params = GenerationParams(
            prompt=options["prompt"],
            model=options["model"],
            aspect_ratio=options["aspect_ratio"],
            image_size=options["size"],
            seed=options["seed"],
            provider=options["provider"],
        )
        try:
            with transaction.atomic():
                version = generate(params, title=options["title"], source=Source.CLI,
                                   enqueue=False)
        except RequestValidationError as exc:
            fields = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.field_errors.items())
            raise CommandError(one_line(fields)) from None
        except NanobananaError as exc:
            raise CommandError(one_line(str(exc))) from None
        finished = execute_version(version.pk) or version
        if finished.state != State.SUCCEEDED:
            self._discard(finished)
            raise CommandError(one_line(
                f"generation {finished.state}: {finished.error or finished.error_code}"
            ))
        self._report(finished, as_json=options["json"])

    def _discard(self, version: AssetVersion) -> None:
        """A new asset whose only generation failed is not kept half-made."""
        asset = version.asset
        if asset.versions.count() == 1:
            asset.delete()

    def _report(self, version: AssetVersion, *, as_json: bool) -> None:
        storage = get_storage()
        try:
            location = storage.path(version.original.name)
        except NotImplementedError:
            location = storage.url(version.original.name)
        if as_json:
            self.stdout.write(json.dumps({
                "asset": str(version.asset_id),
                "version": str(version.pk),
                "state": version.state,
                "file": location,
                "width": version.width,
                "height": version.height,
                "mime_type": version.mime_type,
                "model": version.model,
                "cost": str(version.cost) if version.cost is not None else None,
            }))
        else:
            self.stdout.write(f"asset {version.asset_id}")
            self.stdout.write(f"file {location}")
