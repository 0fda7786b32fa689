"""The audit trail: every request as it arrived (also refused and invalid ones) and how
it ended, and its retention.

:func:`record_request` when a request arrives, :func:`record_outcome` when it ends,
:func:`prune_audit` folds old rows into per-day totals. Prompts pass through
``PROMPT_REDACTOR``; API keys of the configured providers are scrubbed from everything
stored (the providers' own rule, :func:`~django_nanobanana.providers.errors.redact`);
references are kept as SHA-256 hashes only.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.module_loading import import_string

from ..conf import nanobanana_settings
from ..models import AuditRecord, Outcome, UsageTotal
from ..models.ledger import TOKEN_FIELDS
from ..money import budget_timezone
from ..providers.errors import redact
from .budgets import booked_by

__all__ = [
    "client_ip",
    "prune_audit",
    "record_outcome",
    "record_request",
    "redact_prompt",
    "scrub",
]

#: Parameter names never stored, whatever their value.
SECRET_PARAM_NAMES = (
    "key",
    "api_key",
    "apikey",
    "token",
    "secret",
    "password",
    "authorization",
    "x-goog-api-key",
    "credentials",
)


# -- secrets and redaction -------------------------------------------------------------------


def _known_secrets() -> list[str]:
    secrets = []
    for alias in nanobanana_settings.PROVIDERS:
        try:
            key = nanobanana_settings.api_key(alias)
        except KeyError:
            key = None
        if key:
            secrets.append(key)
    return secrets


def scrub(text: str, secrets: Iterable[str] | None = None) -> str:
    """``text`` with every configured API key (or each of ``secrets``) replaced by
    ``[redacted]``: the providers' redaction rule over the configured keys."""
    return redact(text, _known_secrets() if secrets is None else secrets)


def _scrub_value(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, Mapping):
        return {
            str(k): _scrub_value(v, secrets)
            for k, v in value.items()
            if str(k).lower() not in SECRET_PARAM_NAMES
        }
    if isinstance(value, (list, tuple)):
        return [_scrub_value(v, secrets) for v in value]
    if isinstance(value, float):
        return str(Decimal(str(value)))  # no floats in stored JSON
    if isinstance(value, (bytes, bytearray)):
        return hashlib.sha256(value).hexdigest()
    return value


def _redactor() -> Callable[[str], str] | None:
    hook = nanobanana_settings.PROMPT_REDACTOR
    if not hook:
        return None
    return import_string(hook) if isinstance(hook, str) else hook


def redact_prompt(prompt: str) -> str:
    """The prompt as it may be stored: ``PROMPT_REDACTOR`` applied, keys scrubbed."""
    prompt = scrub(prompt or "")  # first, so the hook never sees (or mangles) a key
    hook = _redactor()
    if hook is not None:
        prompt = scrub(str(hook(prompt)))
    return prompt


def _reference_hash(ref: Any) -> str:
    if isinstance(ref, str):
        return ref  # already a hash
    data = getattr(ref, "data", ref)
    if isinstance(data, (bytes, bytearray, memoryview)):
        return hashlib.sha256(bytes(data)).hexdigest()
    sha = getattr(ref, "sha256", None)
    if sha:
        return str(sha)
    raise TypeError(f"cannot hash a reference of type {type(ref).__name__}")


def client_ip(request: Any) -> str | None:
    """``REMOTE_ADDR`` of a web request when it is a valid address (put a trusted proxy
    middleware in front to rewrite it). Forwarded headers are not trusted here."""
    addr = (getattr(request, "META", None) or {}).get("REMOTE_ADDR")
    try:
        return str(ipaddress.ip_address(addr)) if addr else None
    except ValueError:
        return None


# -- audit trail -----------------------------------------------------------------------------


def record_request(
    *,
    user: Any,
    source: str,
    prompt: str,
    model: str = "",
    provider: str = "",
    params: Mapping[str, Any] | None = None,
    references: Iterable[Any] = (),
    version_id: UUID | None = None,
    asset_id: UUID | None = None,
    estimated_cost: Decimal | None = None,
    outcome: str = Outcome.PENDING,
    reason: str = "",
    request: Any = None,
    ip: str | None = None,
) -> AuditRecord:
    """Create the audit row of one request as it arrived.

    For accepted requests pass the new ``version_id`` (inside the transaction that
    creates the version, or right after it); for refused (``Outcome.REFUSED``, reason the
    :class:`~django_nanobanana.exceptions.BudgetExceeded` message) and invalid ones
    (``Outcome.INVALID``) call it *after* the rolled-back block, without a version.
    ``references``: bytes, objects with ``.data`` or ``.sha256``, or hex hashes — only
    hashes are stored. ``request``: the HttpRequest, for the client IP. Idempotent per
    version: a second call returns the existing row.
    """
    secrets = _known_secrets()
    final = outcome not in (Outcome.PENDING,)
    # Redact the whole prompt first (cutting first could leave half a key unscrubbed),
    # then keep a bounded head plus the length and hash of the whole.
    redacted = scrub(redact_prompt(prompt), secrets)
    limit = nanobanana_settings.AUDIT_PROMPT_MAX_CHARS
    values = {
        **booked_by(user),
        "source": source,
        "client_ip": ip or (client_ip(request) if request is not None else None),
        "asset_id": asset_id,
        "prompt": redacted if limit is None else redacted[: max(0, int(limit))],
        "prompt_length": len(redacted),
        "prompt_sha256": hashlib.sha256(redacted.encode("utf-8", "surrogatepass")).hexdigest(),
        "params": _scrub_value(dict(params or {}), secrets),
        "reference_hashes": [_reference_hash(r) for r in references],
        "provider": scrub(str(provider or ""), secrets)[:50],
        "model": scrub(str(model or ""), secrets)[:100],
        "estimated_cost": estimated_cost,
        "outcome": outcome,
        "reason": scrub(str(reason), secrets)[:2000],
        "completed_at": timezone.now() if final else None,
    }
    if version_id is None:
        return AuditRecord.objects.create(**values)
    try:
        with transaction.atomic():
            return AuditRecord.objects.create(version_id=version_id, **values)
    except IntegrityError:
        return AuditRecord.objects.get(version_id=version_id)


def record_outcome(
    version_id: UUID,
    *,
    outcome: str,
    reason: str = "",
    usage: Any = None,
    latency_ms: int | None = None,
    attempts: int | None = None,
    response_id: str = "",
) -> bool:
    """Complete a version's audit row: outcome and reason, token counts by modality from
    ``usage`` (a :class:`~django_nanobanana.providers.base.Usage`), latency, attempts and
    the provider's response id. Cost is not passed: :func:`settle` / :func:`refund` /
    :func:`record_cache_hit` write it, so the audit and the ledger cannot disagree.
    Returns False when the version has no audit row.
    """
    values: dict[str, Any] = {
        "outcome": outcome,
        "reason": scrub(str(reason or "")),
        "completed_at": timezone.now(),
    }
    if response_id:
        values["response_id"] = scrub(str(response_id))[:200]
    if latency_ms is not None:
        values["latency_ms"] = int(latency_ms)
    if attempts is not None:
        values["attempts"] = int(attempts)
    if usage is not None:
        for name in TOKEN_FIELDS:
            values[name] = int(getattr(usage, name, 0) or 0)
    return bool(AuditRecord.objects.filter(version_id=version_id).update(**values))


# -- retention -------------------------------------------------------------------------------


def prune_audit(*, before: Any, dry_run: bool = False, batch_size: int = 2000) -> int:
    """Fold finished audit rows created before ``before`` into :class:`UsageTotal` rows
    (per local day, user, model, source) and delete them. Returns how many rows were (or,
    with ``dry_run``, would be) pruned.

    Totals stay the same: reports add the folded totals to the rows still present, and
    money is in the ledger, which is never pruned. Pending rows are kept (their outcome may
    still be written). Works in batches, each locked (``SELECT ... FOR UPDATE``) and folded
    in one transaction.
    """
    tokens = TOKEN_FIELDS
    old = AuditRecord.objects.filter(created_at__lt=before).exclude(outcome=Outcome.PENDING)
    if dry_run:
        return old.count()
    tz = budget_timezone()
    pruned = 0
    while True:
        with transaction.atomic():
            pks = list(
                old.order_by("pk").select_for_update().values_list("pk", flat=True)[:batch_size]
            )
            if not pks:
                break
            groups = (
                AuditRecord.objects.filter(pk__in=pks)
                .annotate(day=TruncDate("created_at", tzinfo=tz))
                .values("day", "user_id", "username", "model", "source")
                .annotate(
                    requests=Count("id"),
                    succeeded=Count(
                        "id", filter=Q(outcome__in=(Outcome.SUCCEEDED, Outcome.CACHED))
                    ),
                    refused=Count("id", filter=Q(outcome__in=(Outcome.REFUSED, Outcome.INVALID))),
                    **{name: Sum(name) for name in tokens},
                )
                .order_by()
            )
            for group in groups:
                key = {k: group[k] for k in ("day", "user_id", "username", "model", "source")}
                total = UsageTotal.objects.select_for_update().filter(**key).first()
                if total is None:
                    total = UsageTotal.objects.create(**key)
                UsageTotal.objects.filter(pk=total.pk).update(
                    **{
                        name: F(name) + (group[name] or 0)
                        for name in ("requests", "succeeded", "refused", *tokens)
                    }
                )
            AuditRecord.objects.filter(pk__in=pks).delete()
            pruned += len(pks)
    return pruned
