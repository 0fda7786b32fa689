"""One error shape for every error the API answers with.

Every error response has this body (documented in ``docs/api.md`` and in the schema)::

    {"error": {"code": "invalid", "message": "...", "field_errors": {"field": ["..."]}}}

``code`` is a stable machine-readable string, ``message`` a translated sentence for
people, ``field_errors`` names each bad input field (``{}`` when the error is not about a
field). Over-budget refusals add ``budget`` (which budget, its limit, what is left, when
it resets).

:func:`exception_handler` produces it. The API's views use it whatever the project sets as
DRF's ``EXCEPTION_HANDLER`` (see :class:`ErrorHandlingMixin`); a project may also set it
globally: ``"EXCEPTION_HANDLER": "django_nanobanana.api.errors.exception_handler"``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from ..exceptions import (
    BudgetExceeded,
    ConfigurationError,
    IdempotencyConflict,
    RequestValidationError,
    StateConflict,
)

logger = logging.getLogger(__name__)

#: HTTP status of an over-budget refusal. 402, not 429: 429 is the per-user throttle
#: (retry after a few seconds), a budget resets after a day or a month and a client that
#: retries on 429 must not hammer a spent budget. See docs/api.md.
OVER_BUDGET_STATUS = status.HTTP_402_PAYMENT_REQUIRED

#: Codes of DRF's own exceptions, by class (the most specific first).
_DRF_CODES: tuple[tuple[type[exceptions.APIException], str], ...] = (
    (exceptions.ValidationError, "invalid"),
    (exceptions.ParseError, "parse_error"),
    (exceptions.NotAuthenticated, "not_authenticated"),
    (exceptions.AuthenticationFailed, "authentication_failed"),
    (exceptions.PermissionDenied, "permission_denied"),
    (exceptions.NotFound, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.NotAcceptable, "not_acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (exceptions.Throttled, "throttled"),
)


def error_body(
    code: str, message: str, field_errors: Mapping[str, list[str]] | None = None, **extra: Any
) -> dict[str, Any]:
    """The one error shape."""
    error: dict[str, Any] = {
        "code": code,
        "message": str(message),
        "field_errors": dict(field_errors or {}),
    }
    error.update(extra)
    return {"error": error}


def flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested ``ValidationError.detail`` as ``{"field.sub": ["message", ...]}``.

    Errors not about a field (``non_field_errors``, a bare list) are kept under
    ``non_field_errors``; list items are numbered (``references.1``).
    """
    out: dict[str, list[str]] = {}

    def walk(value: Any, path: str) -> None:
        if isinstance(value, Mapping):
            for key, sub in value.items():
                name = str(key)
                if name in ("non_field_errors", "__all__"):
                    walk(sub, path or "non_field_errors")
                else:
                    walk(sub, f"{path}.{name}" if path else name)
        elif isinstance(value, list | tuple):
            if all(not isinstance(v, Mapping | list | tuple) for v in value):
                if value:
                    out.setdefault(path or "non_field_errors", []).extend(str(v) for v in value)
            else:
                for index, sub in enumerate(value):
                    if sub:
                        walk(sub, f"{path}.{index}" if path else str(index))
        else:
            out.setdefault(path or "non_field_errors", []).append(str(value))

    walk(detail, prefix)
    return out


def _summary(field_errors: Mapping[str, list[str]]) -> str:
    if not field_errors:
        return _("The request is invalid.")
    return " ".join(
        f"{name}: {msgs[0]}" if name != "non_field_errors" else msgs[0]
        for name, msgs in field_errors.items()
        if msgs
    )


def _budget_response(exc: Exception) -> Response:
    details: dict[str, Any] = {}
    as_dict = getattr(exc, "as_dict", None)
    if callable(as_dict):
        details = dict(as_dict())
        details.pop("message", None)
    return Response(
        error_body("over_budget", str(getattr(exc, "message", exc)), budget=details),
        status=OVER_BUDGET_STATUS,
    )


def _is_budget_exceeded(exc: Exception) -> bool:
    return isinstance(exc, BudgetExceeded)


def exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    """DRF exception handler answering in the one error shape.

    Returns None (DRF then re-raises: a 500) only for exceptions that are bugs, never for
    bad input.
    """
    if isinstance(exc, RequestValidationError):
        return Response(
            error_body("invalid", exc.message or _summary(exc.field_errors), exc.field_errors),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if _is_budget_exceeded(exc):
        return _budget_response(exc)
    if isinstance(exc, IdempotencyConflict):
        # IETF draft "The Idempotency-Key HTTP Header Field": a key reused with another
        # request body is 422.
        return Response(
            error_body("idempotency_conflict", str(exc), {"Idempotency-Key": [str(exc)]}),
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    if isinstance(exc, StateConflict):
        return Response(error_body("state_conflict", str(exc)), status=status.HTTP_409_CONFLICT)
    if isinstance(exc, ConfigurationError):
        # The site's configuration, not the request, is at fault: 503 and a log line.
        # Only staff see the configuration detail (which setting to fix).
        logger.error("nanobanana API: configuration error: %s", exc)
        request = context.get("request")
        user = getattr(request, "user", None)
        message = (
            str(exc)
            if getattr(user, "is_staff", False)
            else _("Image generation is not available on this site right now.")
        )
        return Response(
            error_body("configuration_error", message), status=status.HTTP_503_SERVICE_UNAVAILABLE
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None

    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    if getattr(exc, "wait", None) is not None:
        headers["Retry-After"] = str(max(1, int(exc.wait)))  # type: ignore[attr-defined]
    set_rollback()

    if isinstance(exc, exceptions.ValidationError):
        field_errors = flatten_errors(exc.detail)
        body = error_body("invalid", _summary(field_errors), field_errors)
    else:
        code = next((c for cls, c in _DRF_CODES if isinstance(exc, cls)), None)
        if code is None:
            codes = exc.get_codes()
            code = codes if isinstance(codes, str) else "error"
        detail = exc.detail
        message = (
            detail
            if isinstance(detail, str)
            else " ".join(m for msgs in flatten_errors(detail).values() for m in msgs)
        )
        body = error_body(code, str(message))
    return Response(body, status=exc.status_code, headers=headers)


class ErrorHandlingMixin:
    """Use :func:`exception_handler` whatever the project's ``EXCEPTION_HANDLER`` is."""

    def get_exception_handler(self) -> Callable[[Exception, Mapping[str, Any]], Response | None]:
        return exception_handler
