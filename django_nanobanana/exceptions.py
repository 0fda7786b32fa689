"""Errors raised at the edge, before anything is spent."""

from __future__ import annotations

from typing import Any


class NanobananaError(Exception):
    """Base class of the app's own errors."""


class RequestValidationError(NanobananaError):
    """A request that cannot be sent as it is: every bad field with readable messages."""

    def __init__(self, field_errors: dict[str, list[Any]]):
        self.field_errors = {k: [str(m) for m in v] for k, v in field_errors.items()}
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return " ".join(m for msgs in self.field_errors.values() for m in msgs)


class ConfigurationError(NanobananaError):
    """The site's configuration does not allow the request (no key, unknown provider)."""


class IdempotencyConflict(NanobananaError):
    """An idempotency key was reused for a different request."""


class StateConflict(NanobananaError):
    """The object is not in a state that allows the operation (e.g. cancel a finished version)."""
