"""Generate, regenerate, edit: validate a request, then create its ``queued`` version.

Every request is validated first (capabilities registry, configuration); a refusal is
audited. Then, in one transaction, an idempotency key replays its earlier version, the
prompt cache may finish the version at once, or the estimate is reserved on every budget
that applies and the version is handed to the task queue once the transaction commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .. import signals
from ..access import real_user
from ..exceptions import (
    BudgetExceeded,
    ConfigurationError,
    RequestValidationError,
    StateConflict,
)
from ..ledger import accounting
from ..models import AssetVersion, GeneratedAsset, ReferenceImage, Source, State, VersionKind
from ..providers.models_registry import ModelCapabilities
from ..storage import delete_files
from . import prompt_cache, queue
from .assets import validate_overlay
from .keys import cache_key, replay, request_fingerprint, scoped_idempotency_key
from .params import (
    GenerationParams,
    edit_params,
    params_from,
    validate_params,
    with_lifecycle_notices,
)
from .references import describe, resolve_references


@dataclass(frozen=True)
class _Caller:
    """Who asks, from where, and how the version is to be handed on."""

    user: Any
    source: str
    client_ip: str | None
    idempotency_key: str | None
    enqueue: bool

    def refused(self, params: GenerationParams, *, reason: str, outcome: str) -> None:
        """Audit a request refused before anything was reserved."""
        accounting.refused(
            params,
            user=self.user,
            source=self.source,
            client_ip=self.client_ip,
            reason=reason,
            outcome=outcome,
        )


@dataclass(frozen=True)
class _NewAsset:
    """What a generation for a new asset says about the asset."""

    title: str = ""
    alt_text: str = ""
    overlay: dict | None = None

    def create(self, asset_id: Any, params: GenerationParams, owner: Any) -> GeneratedAsset:
        title = (self.title or params.prompt)[:200]
        asset = GeneratedAsset(id=asset_id, title=title, alt_text=self.alt_text, owner=owner)
        if self.overlay is not None:
            asset.overlay = self.overlay
        asset.save()
        return asset


def generate(
    params: GenerationParams,
    *,
    asset: GeneratedAsset | None = None,
    title: str = "",
    alt_text: str = "",
    overlay: dict | None = None,
    user: Any = None,
    source: str = Source.API,
    idempotency_key: str | None = None,
    client_ip: str | None = None,
    enqueue: bool = True,
) -> AssetVersion:
    """Queue a generation: for a new asset (created here) or a new version of ``asset``.

    A retired model is refused (naming its replacement); a deprecated or legacy one works
    and the version carries a notice saying when it goes away (``params["notices"]``).
    """
    caller = _Caller(real_user(user), source, client_ip, idempotency_key, enqueue)
    params = with_lifecycle_notices(params)
    references = resolve_references(params.references, user=caller.user)
    if overlay is not None:
        overlay = validate_overlay(overlay)
    return _queue(
        caller,
        VersionKind.GENERATE,
        params,
        references,
        asset=asset,
        parent=asset.current_version if asset else None,
        new_asset=_NewAsset(title, alt_text, overlay),
    )


#: What a regeneration may change of the request it repeats.
REGENERATE_CHANGES = frozenset(
    {
        "prompt",
        "model",
        "aspect_ratio",
        "image_size",
        "seed",
        "provider",
        "thinking_level",
        "references",
        "webhook_url",
        "grounding",
    }
)


def regenerate(
    version: AssetVersion,
    *,
    changes: dict[str, Any] | None = None,
    user: Any = None,
    source: str = Source.API,
    idempotency_key: str | None = None,
    client_ip: str | None = None,
    enqueue: bool = True,
) -> AssetVersion:
    """A new version of the same asset from ``version``'s request, with ``changes`` applied.

    Never served from the prompt cache: asking again means wanting a new image.
    """
    caller = _Caller(real_user(user), source, client_ip, idempotency_key, enqueue)
    base = params_from(
        version,
        seed=version.seed,
        thinking_level=(version.params or {}).get("thinking_level"),
        grounding=(version.params or {}).get("grounding", ""),
        references=tuple(r["id"] for r in version.references if r.get("id")),
    )
    changes = {k: v for k, v in (changes or {}).items() if v is not None or k == "seed"}
    unknown = set(changes) - REGENERATE_CHANGES
    if unknown:
        raise RequestValidationError({k: [_("This field cannot be changed.")] for k in unknown})
    if "references" in changes:
        changes["references"] = tuple(str(r) for r in changes["references"])
    if changes.get("model") and changes["model"] != base.model:
        base = replace(base, notices=())  # the caller chose the model: nothing to explain
    params = with_lifecycle_notices(replace(base, **changes, use_cache=False))
    references = (
        resolve_references(params.references, user=caller.user)
        if "references" in changes
        else _recorded_references(version)
    )
    return _queue(caller, VersionKind.REGENERATE, params, references, parent=version)


def edit(
    version: AssetVersion,
    *,
    instruction: str,
    references: Sequence[str] = (),
    user: Any = None,
    source: str = Source.API,
    idempotency_key: str | None = None,
    client_ip: str | None = None,
    webhook_url: str | None = None,
    enqueue: bool = True,
) -> AssetVersion:
    """Edit a finished version with an instruction (multi-turn on 3.x models)."""
    caller = _Caller(real_user(user), source, client_ip, idempotency_key, enqueue)
    if version.state != State.SUCCEEDED or not version.original:
        raise StateConflict(_("Only a finished image can be edited."))
    refs = resolve_references(references, user=caller.user)
    params = edit_params(
        version,
        instruction=instruction,
        references=tuple(str(r.pk) for r in refs),
        webhook_url=webhook_url,
    )
    # The edited image travels as one more input image.
    return _queue(caller, VersionKind.EDIT, params, refs, parent=version, extra_images=1)


def _recorded_references(version: AssetVersion) -> list[ReferenceImage]:
    ids = [r["id"] for r in version.references if r.get("id")]
    return list(ReferenceImage.objects.filter(pk__in=ids))


def _queue(
    caller: _Caller,
    kind: str,
    params: GenerationParams,
    references: list[ReferenceImage],
    *,
    parent: AssetVersion | None,
    asset: GeneratedAsset | None = None,
    new_asset: _NewAsset | None = None,
    extra_images: int = 0,
) -> AssetVersion:
    """Validate (a refused request is still recorded in the audit trail), then create the
    version: of ``asset`` (by default ``parent``'s), or of a new asset (``new_asset``:
    its title, alt text and overlay)."""
    try:
        capabilities = validate_params(
            params,
            reference_count=len(references) + extra_images,
            reference_sizes=[r.bytes for r in references],
        )
    except (RequestValidationError, ConfigurationError) as exc:
        caller.refused(params, reason=str(getattr(exc, "message", exc)), outcome="invalid")
        raise
    if asset is None and parent is not None:
        asset = parent.asset
    return _create_version(
        caller, kind, params, capabilities, references, asset, parent, new_asset or _NewAsset()
    )


def _create_version(
    caller: _Caller,
    kind: str,
    params: GenerationParams,
    capabilities: ModelCapabilities,
    references: list[ReferenceImage],
    asset: GeneratedAsset | None,
    parent: AssetVersion | None,
    new_asset: _NewAsset,
) -> AssetVersion:
    user, client_ip = caller.user, caller.client_ip
    scoped_key = scoped_idempotency_key(user, caller.idempotency_key)
    fingerprint = request_fingerprint(
        kind, getattr(asset, "pk", None), getattr(parent, "pk", None), params
    )
    if scoped_key:
        existing = replay(scoped_key, fingerprint)
        if existing is not None:
            return existing
    ref_hashes = [r.sha256 for r in references]
    key = cache_key(params, capabilities, ref_hashes)
    owner = asset.owner if asset is not None else user
    allowed = prompt_cache.cache_allowed(params, kind)
    cached = prompt_cache.find_cached(key, owner) if allowed else None
    estimate = capabilities.estimate_cost(
        image_size=params.image_size,
        prompt_chars=len(params.prompt),
        reference_count=len(references),
        grounded=bool(params.grounding),
    )
    version_id = uuid.uuid4()
    asset_id = asset.pk if asset is not None else uuid.uuid4()
    copied = prompt_cache.copy_cached(cached, asset_id, version_id) if cached else None
    try:
        with transaction.atomic():
            if asset is None:
                asset = new_asset.create(asset_id, params, owner=user)
            version = AssetVersion.objects.create(
                id=version_id,
                asset=asset,
                parent=parent,
                kind=kind,
                source=caller.source,
                prompt=params.prompt,
                provider=params.resolved_provider(),
                model=capabilities.id,
                aspect_ratio=params.aspect_ratio or "",
                image_size=(params.image_size or capabilities.default_image_size or "")
                if capabilities.image_sizes
                else "",
                seed=params.seed,
                params=_stored_params(params, fingerprint),
                references=describe(references),
                idempotency_key=scoped_key,
                cache_key=key,
                estimated_cost=estimate,
                created_by=user,
            )
            if cached is not None and copied is not None:
                prompt_cache.reuse(version, cached, copied, user=user, client_ip=client_ip)
            else:
                accounting.reserve(version, amount=estimate, user=user, client_ip=client_ip)
                if caller.enqueue:
                    queue.enqueue_on_commit(queue.RUN_VERSION, version.pk)
                transaction.on_commit(
                    lambda: signals.version_queued.send(sender=AssetVersion, version=version)
                )
    except BaseException as exc:
        if copied:
            delete_files([copied], on_commit=False)
        if isinstance(exc, IntegrityError) and scoped_key:
            existing = replay(scoped_key, fingerprint)  # a concurrent request with the
            if existing is not None:  # same key won the race
                return existing
        if isinstance(exc, BudgetExceeded):
            caller.refused(params, reason=exc.message, outcome="refused")
        raise
    return version


def _stored_params(params: GenerationParams, fingerprint: str) -> dict[str, Any]:
    stored: dict[str, Any] = {"fingerprint": fingerprint}
    if params.thinking_level:
        stored["thinking_level"] = params.thinking_level
    if params.grounding:
        stored["grounding"] = params.grounding
    if params.notices:
        stored["notices"] = list(params.notices)
    if params.extra:
        stored["extra"] = params.extra
    if params.webhook_url:
        stored["webhook_url"] = params.webhook_url
    return stored
