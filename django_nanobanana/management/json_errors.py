"""``--json`` commands answer errors in JSON too.

A command that offers ``--json`` mixes in :class:`JsonErrorsMixin`: a ``CommandError``
is then printed to stdout as one JSON object, ``{"error": "<one line>", ...details}``,
and the command still exits non-zero (Django also prints the message to stderr, so a
person at a terminal sees it). Raise :class:`DetailedCommandError` to add fields (the
bad rows of a batch, the failed version's record).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError


class DetailedCommandError(CommandError):
    """A ``CommandError`` with machine-readable ``details`` for the JSON answer."""

    def __init__(
        self, message: str, *, details: dict[str, Any] | None = None, returncode: int = 1
    ) -> None:
        super().__init__(message, returncode=returncode)
        self.details = details or {}


class JsonErrorsMixin:
    """For ``BaseCommand`` subclasses with a ``--json`` flag."""

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)  # type: ignore[misc]
        except CommandError as exc:
            if options.get("json"):
                details = getattr(exc, "details", {}) or {}
                answer = {"error": " ".join(str(exc).split()), **details}
                self.stdout.write(json.dumps(answer))  # type: ignore[attr-defined]
            raise
