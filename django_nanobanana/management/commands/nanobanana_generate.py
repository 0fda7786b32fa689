"""Generate or edit an image from the command line.

By default the command runs the generation in this process (it acts as its own worker)
and exits 0 only when the version succeeded. ``--background`` queues it for the django-q2
workers instead; add ``--wait`` to wait for the final state.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...exceptions import NanobananaError, RequestValidationError, StateConflict
from ...imaging.overlay import ANCHORS, DEFAULT_ANCHOR, available_fonts
from ...models import AssetVersion, GeneratedAsset, Source, State
from ...services import (
    GenerationParams,
    delete_asset,
    edit,
    execute_version,
    generate,
    is_settled,
    store_reference,
)
from ...storage import get_storage
from ..json_errors import DetailedCommandError, JsonErrorsMixin


def one_line(text: Any) -> str:
    return " ".join(str(text).split())


def location(name: str) -> str:
    """A stored file's local path when the storage has one, else its URL."""
    storage = get_storage()
    try:
        return storage.path(name)
    except NotImplementedError:
        return storage.url(name)


def version_record(version: AssetVersion) -> dict[str, Any]:
    """The final record printed with --json (also used by nanobanana_batch)."""
    asset = version.asset
    renditions = [
        {"width": r.width, "height": r.height, "format": r.format, "file": location(r.file.name)}
        for r in version.renditions.filter(overlay_hash=asset.rendered_overlay_hash).order_by(
            "format", "width"
        )
    ]
    return {
        "asset": str(version.asset_id),
        "version": str(version.pk),
        "state": version.state,
        "reason": version.error or None,
        "error_code": version.error_code or None,
        "file": location(version.original.name) if version.original else None,
        "width": version.width,
        "height": version.height,
        "mime_type": version.mime_type or None,
        "model": version.model,
        "cost": str(version.cost) if version.cost is not None else None,
        "reused_from": str(reused) if (reused := version.visible_reused_from_id) else None,
        "notices": version.notices,
        "model_version": version.model_version or None,
        "model_status": version.model_status or None,
        "grounding": (version.params or {}).get("grounding") or None,
        "search_suggestions": version.search_suggestions,
        "renditions": renditions,
    }


class Command(JsonErrorsMixin, BaseCommand):
    help = (
        "Generate (or edit) an image with the configured provider, store it with its "
        "renditions, and print the asset id and the file (one JSON object with --json). "
        "Exits non-zero with a one-line reason unless the version succeeded."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--prompt", help="what to draw (required unless --edit-of)")
        parser.add_argument("--model", help="model id (default: NANOBANANA['DEFAULT_MODEL'])")
        parser.add_argument("--aspect-ratio", help="e.g. 16:9")
        parser.add_argument("--size", help="image size: 512, 1K, 2K or 4K (model permitting)")
        parser.add_argument("--title", default="", help="asset title (default: the prompt)")
        parser.add_argument(
            "--alt-text",
            default="",
            help="alt text for pages (default: none until an editor accepts the suggested one)",
        )
        parser.add_argument("--seed", type=int)
        parser.add_argument(
            "--thinking-level", help="minimal, medium or high (models that take a level)"
        )
        parser.add_argument(
            "--grounding",
            choices=("web", "web+image"),
            help="ground the image with Google Search (models that support it)",
        )
        parser.add_argument("--provider", help="provider alias (default: the default provider)")
        parser.add_argument(
            "--reference",
            action="append",
            default=[],
            metavar="PATH",
            help="a reference image (repeatable)",
        )
        parser.add_argument(
            "--edit-of", metavar="ASSET", help="edit the current image of this asset id"
        )
        parser.add_argument("--instruction", help="what to change (with --edit-of)")
        parser.add_argument("--overlay", metavar="TEXT", help="text drawn over the image")
        parser.add_argument("--overlay-position", choices=ANCHORS, default=DEFAULT_ANCHOR)
        parser.add_argument(
            "--overlay-font", default="auto", help="bundled font (auto picks by script)"
        )
        parser.add_argument(
            "--overlay-size",
            type=float,
            default=0.07,
            help="font size as a fraction of the image height",
        )
        parser.add_argument("--idempotency-key", help="the same key never generates twice")
        parser.add_argument(
            "--no-cache", action="store_true", help="never reuse an identical earlier image"
        )
        parser.add_argument(
            "--background",
            action="store_true",
            help="queue for the django-q2 workers instead of running here",
        )
        parser.add_argument(
            "--wait", action="store_true", help="with --background: wait for the final state"
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=600.0,
            help="seconds --wait waits (default: %(default)s)",
        )
        parser.add_argument(
            "--json", action="store_true", help='print one JSON object (errors too: {"error": ...})'
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self._check_arguments(options)
        try:
            version = self._submit(options)
        except RequestValidationError as exc:
            fields = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.field_errors.items())
            raise CommandError(one_line(fields)) from None
        except NanobananaError as exc:
            raise CommandError(one_line(exc)) from None
        for notice in version.notices:
            self.stderr.write(f"note: {notice}")
        if options["background"]:
            if not options["wait"]:
                self._report(version, options, final=False)
                return
            version = self._wait(version, options["timeout"])
        elif not version.is_final:
            version = execute_version(version.pk) or AssetVersion.objects.get(pk=version.pk)
        if version.state != State.SUCCEEDED:
            if not options["background"] and not options["edit_of"]:
                self._discard(version)
            raise DetailedCommandError(
                one_line(f"generation {version.state}: {version.error or version.error_code}"),
                details=version_record(version),
            )
        self._report(version, options, final=True)

    # -- steps ----------------------------------------------------------------------------
    def _check_arguments(self, options: dict[str, Any]) -> None:
        if options["edit_of"]:
            if not options["instruction"]:
                raise CommandError("--edit-of needs --instruction")
        elif not options["prompt"]:
            raise CommandError("--prompt is required (or --edit-of with --instruction)")
        if options["wait"] and not options["background"]:
            raise CommandError("--wait goes with --background (without it the command waits)")
        if options["overlay_font"] != "auto" and options["overlay_font"] not in available_fonts():
            raise CommandError(
                one_line(
                    f"unknown font {options['overlay_font']!r}; bundled: "
                    f"{', '.join(sorted(available_fonts()))}"
                )
            )
        if len(options["alt_text"] or "") > 500:
            raise CommandError("--alt-text: at most 500 characters")
        for path in options["reference"]:
            if not Path(path).is_file():
                raise CommandError(f"reference image not found: {path}")

    def _references(self, options: dict[str, Any]) -> tuple[str, ...]:
        ids = []
        for path in options["reference"]:
            data = Path(path).read_bytes()
            ids.append(str(store_reference(data, name=Path(path).name).pk))
        return tuple(ids)

    def _submit(self, options: dict[str, Any]) -> AssetVersion:
        # No transaction around the whole request: the service records a refusal in the
        # audit trail after rolling its own work back, and that record must stay. References
        # stored here stay too (rows, not orphan files); unused ones are pruned like the API's
        # uploads (nanobanana_prune_references).
        enqueue = bool(options["background"])
        asset = None
        if options["edit_of"]:
            asset = (
                GeneratedAsset.objects.filter(pk=options["edit_of"]).first()
                if _is_uuid(options["edit_of"])
                else None
            )
            if asset is None or asset.current_version is None:
                raise CommandError(f"no finished asset {options['edit_of']}")
        references = self._references(options)
        if asset is not None:
            return edit(
                asset.current_version,
                instruction=options["instruction"],
                references=references,
                source=Source.CLI,
                idempotency_key=options["idempotency_key"],
                enqueue=enqueue,
            )
        overlay = None
        if options["overlay"]:
            overlay = {
                "text": options["overlay"],
                "anchor": options["overlay_position"],
                "font": options["overlay_font"],
                "size": options["overlay_size"],
            }
        params = GenerationParams(
            prompt=options["prompt"],
            model=options["model"],
            aspect_ratio=options["aspect_ratio"],
            image_size=options["size"],
            seed=options["seed"],
            provider=options["provider"],
            references=references,
            thinking_level=options.get("thinking_level"),
            grounding=options.get("grounding") or "",
            use_cache=False if options["no_cache"] else None,
        )
        return generate(
            params,
            title=options["title"],
            alt_text=options["alt_text"] or "",
            overlay=overlay,
            source=Source.CLI,
            idempotency_key=options["idempotency_key"],
            enqueue=enqueue,
        )

    def _wait(self, version: AssetVersion, timeout: float) -> AssetVersion:
        deadline = time.monotonic() + timeout
        delay = 0.2
        while time.monotonic() < deadline:
            version.refresh_from_db()
            version.asset.refresh_from_db()
            if is_settled(version):  # final, and a success published with its renditions
                return version
            time.sleep(delay)
            delay = min(delay * 1.5, 2.0)
        raise CommandError(
            one_line(f"timed out after {timeout:g}s; version {version.pk} is still {version.state}")
        )

    def _discard(self, version: AssetVersion) -> None:
        """A new asset whose only generation failed is not kept half-made (the audit
        trail keeps the request)."""
        asset = version.asset
        if asset.versions.count() == 1:
            try:
                delete_asset(asset)
            except StateConflict:  # still being generated elsewhere: kept, the worker ends it
                pass

    def _report(self, version: AssetVersion, options: dict[str, Any], *, final: bool) -> None:
        record = version_record(version)
        if options["json"]:
            self.stdout.write(json.dumps(record))
            return
        self.stdout.write(f"asset {record['asset']}")
        if final:
            self.stdout.write(f"file {record['file']}")
        else:
            self.stdout.write(f"version {record['version']} {record['state']}")


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
