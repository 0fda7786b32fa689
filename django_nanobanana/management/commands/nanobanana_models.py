"""Which image models can this key call? The registry's lineup against Google's own list.

Asks the provider for the models its credentials can call (``GET v1beta/models``, every
page), and prints each model the registry knows with its lifecycle stage, shutdown date,
replacement and whether the key can call it; listed models the registry does not know
(new releases) are shown too. ``--check`` exits non-zero when the default model or a
provider's allowed model cannot be called or is retired: run it in a deploy pipeline.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...conf import nanobanana_settings
from ...exceptions import NanobananaError
from ...providers import get_provider
from ...providers.models_registry import describe_model, get_registry


class Command(BaseCommand):
    help = (
        "List the image models this provider's key can call (models.list, all pages) beside "
        "the registry's lineup: stage, shutdown date, replacement, available or not. "
        "--check exits 1 when the default model or an allowed model is unavailable."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--provider", help="provider alias (default: the default provider)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--check",
            action="store_true",
            help="exit 1 when DEFAULT_MODEL or an allowed model is unavailable",
        )
        parser.add_argument(
            "--all",
            action="store_true",
            help="also list models that are not image models (text models)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            provider = get_provider(options.get("provider"))
            listed = provider.list_models()
        except NotImplementedError as exc:
            raise CommandError(str(exc)) from None
        except NanobananaError as exc:
            raise CommandError(
                f"Cannot list the models of provider {options.get('provider') or 'default'}: "
                f"{' '.join(str(exc).split())}"
            ) from None
        available = {m.id: m for m in listed}
        registry = get_registry()
        required = self._required(provider)
        rows = [
            _row(
                describe_model(model),
                available=model.id in available,
                required=model.id in required,
                known=True,
            )
            for model in registry.values()
        ]
        rows += [
            _row({"id": item.id, "name": item.display_name}, available=True)
            for item in listed
            if item.id not in registry
            and (options["all"] or "image" in item.id or "banana" in item.id)
        ]
        problems = [
            f"{row['id']} ({', '.join(required[row['id']])}) is "
            + ("retired" if row["stage"] == "retired" else "not available to this key")
            + (f"; move to {row['replacement']}" if row["replacement"] else "")
            for row in rows
            if row["required"] and (not row["available"] or row["stage"] == "retired")
        ]
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "provider": provider.alias,
                        "default_model": nanobanana_settings.DEFAULT_MODEL,
                        "models": rows,
                        "listed": len(listed),
                        "problems": problems,
                    },
                    indent=2,
                )
            )
        else:
            self._table(rows)
        if options["check"] and problems:
            raise CommandError("; ".join(problems), returncode=1)

    @staticmethod
    def _required(provider: Any) -> dict[str, list[str]]:
        required: dict[str, list[str]] = {nanobanana_settings.DEFAULT_MODEL: ["DEFAULT_MODEL"]}
        for model_id in provider.config.get("MODELS") or ():
            required.setdefault(model_id, []).append(f"{provider.alias} MODELS")
        return required

    def _table(self, rows: list[dict[str, Any]]) -> None:
        header = ("model", "stage", "shutdown", "replacement", "this key")
        table = [header] + [
            (
                ("* " if row["required"] else "  ") + row["id"],
                row["stage"] or "(not in registry)",
                row["shutdown"] or "",
                row["replacement"] or "",
                "available" if row["available"] else "NOT AVAILABLE",
            )
            for row in rows
        ]
        widths = [max(len(str(line[i])) for line in table) for i in range(len(header))]
        for line in table:
            self.stdout.write(
                "  ".join(str(v).ljust(w) for v, w in zip(line, widths, strict=True)).rstrip()
            )
        self.stdout.write("* the default model or a provider's allowed model")


def _row(
    model: dict[str, Any], *, available: bool, required: bool = False, known: bool = False
) -> dict[str, Any]:
    """One line of the table (one object of ``--json``): a model of the registry as
    :func:`describe_model` describes it, or only the id and name of a listed model the
    registry does not know."""
    shutdown = model.get("shutdown")
    return {
        "id": model["id"],
        "name": model["name"],
        "stage": model.get("stage"),
        "shutdown": shutdown.isoformat() if shutdown else None,
        "replacement": model.get("replacement"),
        "available": available,
        "required": required,
        "known": known,
    }
