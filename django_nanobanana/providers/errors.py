"""One hierarchy of provider errors; each says whether a retry can help.

Each backend parses its own error bodies (``Provider.error_from_response``) and hands the
facts to :func:`classify`, which picks the class: so retry rules live in one place while
Google's and OpenAI's body shapes live with their backends.

Outcomes that are not faults (a safety block, an answer without an image) are returned as
``blocked`` / ``failed`` results by the providers, not raised; :class:`BlockedError` and
:class:`NoImageError` exist for callers that prefer exceptions
(:meth:`ImageResult.raise_for_outcome`).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from ..exceptions import NanobananaError


class ProviderError(NanobananaError):
    """A provider call that did not produce a result."""

    retryable: bool = False
    default_reason: str = "PROVIDER_ERROR"

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        reason: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        provider: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        #: How many HTTP attempts were made before this error was final (set by the retry
        #: loop; 1 when the error came from the first and only attempt).
        self.attempts = 1
        #: The answers of this call the provider billed before it failed (a truncated image,
        #: an unreadable 200, ...): :class:`~.base.BilledAttempt` items, set by
        #: :meth:`~.base.Provider.generate`. Empty when nothing was billed.
        self.billed: list[Any] = []
        self.status_code = status_code
        self.reason = reason or self.default_reason
        self.request_id = request_id
        self.retry_after = retry_after
        self.provider = provider

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self!s})"

    def __str__(self) -> str:
        status = f"HTTP {self.status_code} " if self.status_code else ""
        return f"{status}{self.reason}: {self.message}"


class AuthenticationError(ProviderError):
    """Missing, invalid or insufficient credentials (400 API_KEY_INVALID, 401, 403)."""

    default_reason = "AUTHENTICATION"


class InvalidRequestError(ProviderError):
    """The provider refused the request as malformed (400)."""

    default_reason = "INVALID_ARGUMENT"


class ModelNotFoundError(InvalidRequestError):
    """The model id is unknown to the provider (404)."""

    default_reason = "NOT_FOUND"


class RateLimitError(ProviderError):
    """A per-minute quota or rate limit (429): retry after the server's delay."""

    retryable = True
    default_reason = "RESOURCE_EXHAUSTED"


class QuotaExhaustedError(ProviderError):
    """A per-day quota is used up: retrying before it resets only burns attempts."""

    default_reason = "QUOTA_EXHAUSTED_PER_DAY"


class ServerError(ProviderError):
    """5xx from the provider: retry with backoff."""

    retryable = True
    default_reason = "SERVER_ERROR"


class ProviderTimeoutError(ProviderError):
    retryable = True
    default_reason = "TIMEOUT"


class ProviderConnectionError(ProviderError):
    retryable = True
    default_reason = "CONNECTION_ERROR"


class MalformedResponseError(ProviderError):
    """A 200 whose body is not the documented shape (bad JSON, broken base64).

    Raised by a provider's ``send`` it means a 2xx arrived whose body could not be read:
    the provider billed it, but its usage is unknown (see :class:`~.base.BilledAttempt`).
    """

    retryable = True
    default_reason = "MALFORMED_RESPONSE"


class DeadlineExceededError(ProviderError):
    """The call's total deadline ran out (or a server-requested delay would pass it)."""

    default_reason = "DEADLINE_EXCEEDED"


class LocalRateLimitError(ProviderError):
    """Our own shared rate limiter had no slot before the call's deadline."""

    default_reason = "LOCAL_RATE_LIMIT"


class BlockedError(ProviderError):
    """The prompt or the image was blocked by safety filters."""

    default_reason = "BLOCKED"


class NoImageError(ProviderError):
    """The model answered but produced no image."""

    default_reason = "NO_IMAGE"


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every secret (API key, token) in ``text`` with ``[redacted]``."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    return text


_DELAY = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


def parse_duration(value: Any) -> float | None:
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        match = _DELAY.match(value)
        if match:
            return float(match.group(1))
    return None


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
            return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())
        except (TypeError, ValueError):
            return None


def longest(*delays: float | None) -> float | None:
    known = [d for d in delays if d is not None]
    return max(known) if known else None


def classify(
    status_code: int,
    message: str,
    reason: str | None,
    *,
    per_day: bool,
    auth_failure: bool,
    request_id: str | None,
    provider: str | None,
    retry_after: float | None,
) -> ProviderError:
    kwargs: dict[str, Any] = {
        "status_code": status_code,
        "request_id": request_id,
        "provider": provider,
        "retry_after": retry_after,
    }
    if auth_failure:
        return AuthenticationError(message, reason=reason, **kwargs)
    if status_code in (401, 403):
        return AuthenticationError(message, reason=reason or "PERMISSION_DENIED", **kwargs)
    if status_code == 404:
        return ModelNotFoundError(message, reason=reason or "NOT_FOUND", **kwargs)
    if status_code == 429:
        if per_day:
            kwargs["retry_after"] = None  # never worth waiting for inside one call
            return QuotaExhaustedError(
                f"{message} (the daily quota is used up: retrying before it resets, at "
                "midnight Pacific time for Google, cannot succeed)",
                **kwargs,
            )
        return RateLimitError(message, reason=reason or "RESOURCE_EXHAUSTED", **kwargs)
    if status_code in (408, 499):
        return ProviderTimeoutError(message, reason=reason or "DEADLINE_EXCEEDED", **kwargs)
    if status_code >= 500:
        return ServerError(message, reason=reason or "SERVER_ERROR", **kwargs)
    return InvalidRequestError(message, reason=reason or "INVALID_ARGUMENT", **kwargs)


@dataclass(frozen=True)
class ErrorFacts:
    """What a non-2xx answer says, as an API's own reader found it; :func:`classify`
    decides the error class from these and the status code."""

    message: str
    reason: str | None = None
    per_day: bool = False
    auth_failure: bool = False
    request_id: str | None = None
    retry_after: float | None = None


#: ``(status_code, body, headers, *, provider=None, secrets=()) -> ProviderError``.
ErrorParser = Callable[..., ProviderError]


def error_parser(read: Callable[[int, str, Mapping[str, str]], ErrorFacts]) -> ErrorParser:
    """An error parser (a backend's ``error_parser``) from ``read(status_code, text,
    headers) -> ErrorFacts``, the one part that knows an API's error bodies: the body is
    decoded, the message redacted of ``secrets`` and the error class chosen by
    :func:`classify`, the same way for every API."""

    @functools.wraps(read)
    def parse(
        status_code: int,
        body: bytes | str,
        headers: Mapping[str, str],
        *,
        provider: str | None = None,
        secrets: Iterable[str | None] = (),
    ) -> ProviderError:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        facts = read(status_code, text, headers)
        return classify(
            status_code,
            redact(facts.message, secrets),
            facts.reason,
            per_day=facts.per_day,
            auth_failure=facts.auth_failure,
            request_id=facts.request_id,
            provider=provider,
            retry_after=facts.retry_after,
        )

    return parse


def error_object(text: str) -> dict[str, Any] | None:
    """The ``error`` object of a JSON error body (``{"error": {...}}``), else None."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, dict) else None


@error_parser
def parse_plain_error(status_code: int, text: str, headers: Mapping[str, str]) -> ErrorFacts:
    """A non-2xx answer of an API whose error bodies are not read: the status code and a
    short excerpt of the body decide (the base provider's ``error_parser``)."""
    return ErrorFacts(
        excerpt(text, status_code),
        request_id=headers.get("x-request-id"),
        retry_after=parse_retry_after(headers),
    )


def excerpt(text: str, status_code: int) -> str:
    """A short, single-line excerpt of a non-JSON error body (proxies answer with HTML)."""
    return " ".join(text.split())[:200] or f"HTTP {status_code} with an empty body"
