"""Generate, regenerate, edit, cancel, and the worker side: execute a queued version.

Every request is validated first (capabilities registry, configuration, budgets), then a
``queued`` version is created and handed to the task queue once the transaction commits.
Every state change is a conditional UPDATE, so a second worker or a redelivered task finds
nothing to claim, and a worker that lost its lease cannot overwrite the winner's result.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import signals
from ..access import real_user
from ..conf import nanobanana_settings
from ..exceptions import (
    BudgetExceeded,
    ConfigurationError,
    IdempotencyConflict,
    RequestValidationError,
    StateConflict,
)
from ..imaging.decode import ImageValidationError, decode_image, sha256_hex
from ..imaging.disclosure import read_provenance
from ..imaging.placeholder import dominant_color, lqip_data_uri
from ..ledger import accounting
from ..models import AssetVersion, GeneratedAsset, ReferenceImage, Source, State, VersionKind
from ..providers import ImageRequest, get_provider
from ..providers.errors import ProviderError
from ..providers.models_registry import ModelCapabilities, get_model, resolve_model
from ..storage import EXTENSIONS, delete_files, original_name, save_exact
from ..workers import trim_memory
from .lease import Heartbeat, retry_on_lock
from .references import describe, load_for_request, resolve_references

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class GenerationParams:
    """What a caller asks for; validated by :func:`validate_params` before anything else."""

    prompt: str
    model: str | None = None
    aspect_ratio: str | None = None
    image_size: str | None = None
    seed: int | None = None
    provider: str | None = None
    thinking_level: str | None = None
    #: ids of :class:`~django_nanobanana.models.ReferenceImage` rows
    references: tuple[str, ...] = ()
    #: None: the site's PROMPT_CACHE setting decides
    use_cache: bool | None = None
    #: notified (signed POST) when the version is finished; must be allow-listed
    webhook_url: str | None = None
    #: Google Search grounding: "" (none), "web" or "web+image" (models that support it)
    grounding: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    #: What the editor should be told about this request (a deprecated model, a retired
    #: model replaced); stored with the version and its audit record.
    notices: tuple[str, ...] = ()

    def resolved_model(self) -> str:
        return self.model or nanobanana_settings.DEFAULT_MODEL

    def resolved_provider(self) -> str:
        return self.provider or nanobanana_settings.DEFAULT_PROVIDER


def validate_params(
    params: GenerationParams,
    *,
    reference_count: int | None = None,
    reference_sizes: Sequence[int] = (),
) -> ModelCapabilities:
    """Check a request against the model's capabilities and the site's configuration.

    ``reference_sizes`` (bytes of each reference) are checked against the model's limits
    for this provider (uploadable through the Files API, or inline only).
    Raises :class:`RequestValidationError` (bad input, every field at once) or
    :class:`ConfigurationError` (unknown provider, no API key) before anything is spent.
    """
    from .webhooks import validate_webhook_url

    validate_webhook_url(params.webhook_url)
    capabilities = get_model(params.resolved_model())  # a retired id: refused, naming its
    provider = get_provider(params.resolved_provider())  # replacement
    capabilities.validate(
        aspect_ratio=params.aspect_ratio,
        image_size=params.image_size,
        prompt=params.prompt,
        thinking_level=params.thinking_level,
        grounding=params.grounding,
        reference_count=len(params.references) if reference_count is None else reference_count,
        reference_sizes=tuple(reference_sizes),
        **provider.reference_limits(),
    )
    if not provider.api_key and provider.config.get("AUTH") != "google-auth":
        env = provider.config.get("API_KEY_ENV")
        raise ConfigurationError(
            _("No API key is configured for provider %(alias)s (set %(env)s).")
            % {"alias": provider.alias, "env": env or "API_KEY"}
        )
    allowed = provider.config.get("MODELS")
    if allowed and capabilities.id not in allowed:
        raise RequestValidationError(
            {
                "model": [
                    _("Provider %(alias)s does not serve %(model)s; it serves: %(allowed)s.")
                    % {
                        "alias": provider.alias,
                        "model": capabilities.id,
                        "allowed": ", ".join(allowed),
                    }
                ]
            }
        )
    return capabilities


# -- keys -------------------------------------------------------------------------------------


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)


def cache_key(
    params: GenerationParams, capabilities: ModelCapabilities, reference_hashes: Sequence[str]
) -> str:
    """Same model, prompt, parameters and reference contents: same key."""
    return hashlib.sha256(
        _canonical(
            {
                "model": capabilities.id,
                "provider": params.resolved_provider(),
                "prompt": params.prompt,
                "aspect_ratio": params.aspect_ratio or "",
                "image_size": capabilities.effective_size(params.image_size)
                if capabilities.image_sizes
                else "",
                "seed": params.seed,
                "thinking_level": params.thinking_level,
                "grounding": params.grounding or "",
                "references": list(reference_hashes),
                "extra": params.extra,
            }
        ).encode()
    ).hexdigest()


def _scoped_idempotency_key(user: Any, key: str | None) -> str | None:
    """Client keys are scoped to their user so two users can never collide."""
    if not key:
        return None
    owner = getattr(user, "pk", None) or "anonymous"
    return hashlib.sha256(f"{owner}|{key}".encode()).hexdigest()


def _request_fingerprint(kind: str, asset_id: Any, parent_id: Any, params: GenerationParams) -> str:
    data = asdict(params)
    data.pop("use_cache", None)
    data.pop("webhook_url", None)
    data.pop("notices", None)
    if not data.get("grounding"):
        data.pop("grounding", None)  # fingerprints of requests made before grounding existed
    return hashlib.sha256(
        _canonical([kind, str(asset_id), str(parent_id), data]).encode()
    ).hexdigest()


# -- creating versions ------------------------------------------------------------------------


def _cache_allowed(params: GenerationParams, kind: str) -> bool:
    setting = nanobanana_settings.PROMPT_CACHE
    if kind != VersionKind.GENERATE or not setting.get("ENABLED"):
        return params.use_cache is True and kind == VersionKind.GENERATE
    return params.use_cache is not False


def _find_cached(key: str, owner: Any) -> AssetVersion | None:
    """A finished original for ``key``: of the same owner's images unless the cache is
    shared site-wide (``PROMPT_CACHE["SCOPE"] == "site"``)."""
    setting = nanobanana_settings.PROMPT_CACHE
    ttl = setting.get("TTL_SECONDS")
    queryset = AssetVersion.objects.filter(
        cache_key=key, state=State.SUCCEEDED, reused_from__isnull=True
    ).exclude(original="")
    if setting.get("SCOPE", "owner") != "site":
        owner_id = getattr(owner, "pk", None)
        queryset = (
            queryset.filter(asset__owner_id=owner_id)
            if owner_id is not None
            else queryset.filter(asset__owner__isnull=True)
        )
    if ttl:
        queryset = queryset.filter(finished_at__gte=timezone.now() - timedelta(seconds=ttl))
    return queryset.order_by("-finished_at").first()


def _create_version(
    *,
    kind: str,
    params: GenerationParams,
    capabilities: ModelCapabilities,
    references: list[ReferenceImage],
    asset: GeneratedAsset | None,
    parent: AssetVersion | None,
    title: str,
    alt_text: str,
    overlay: dict | None,
    user: Any,
    source: str,
    idempotency_key: str | None,
    client_ip: str | None,
    enqueue: bool,
) -> AssetVersion:
    scoped_key = _scoped_idempotency_key(user, idempotency_key)
    fingerprint = _request_fingerprint(
        kind, getattr(asset, "pk", None), getattr(parent, "pk", None), params
    )
    if scoped_key:
        existing = _replay(scoped_key, fingerprint)
        if existing is not None:
            return existing
    ref_hashes = [r.sha256 for r in references]
    key = cache_key(params, capabilities, ref_hashes)
    owner = (
        asset.owner
        if asset is not None
        else (user if getattr(user, "is_authenticated", False) else None)
    )
    cached = _find_cached(key, owner) if _cache_allowed(params, kind) else None
    estimate = capabilities.estimate_cost(
        image_size=params.image_size,
        prompt_chars=len(params.prompt),
        reference_count=len(references),
        grounded=bool(params.grounding),
    )
    version_id = uuid.uuid4()
    asset_id = asset.pk if asset is not None else uuid.uuid4()
    copied = _copy_cached(cached, asset_id, version_id) if cached is not None else None
    try:
        with transaction.atomic():
            if asset is None:
                asset = GeneratedAsset(
                    id=asset_id, title=(title or params.prompt)[:200], alt_text=alt_text, owner=user
                )
                if overlay is not None:
                    asset.overlay = overlay
                asset.save()
            version = AssetVersion.objects.create(
                id=version_id,
                asset=asset,
                parent=parent,
                kind=kind,
                source=source,
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
                _reuse(version, cached, copied, user=user, client_ip=client_ip)
            else:
                accounting.reserve(version, amount=estimate, user=user, client_ip=client_ip)
                if enqueue:
                    transaction.on_commit(lambda: _enqueue(version.pk))
                transaction.on_commit(
                    lambda: signals.version_queued.send(sender=AssetVersion, version=version)
                )
    except IntegrityError:
        if copied:
            delete_files([copied], on_commit=False)
        if scoped_key:  # a concurrent request with the same key won the race
            existing = _replay(scoped_key, fingerprint)
            if existing is not None:
                return existing
        raise
    except BudgetExceeded as exc:
        if copied:
            delete_files([copied], on_commit=False)
        accounting.refused(
            params,
            user=user,
            source=source,
            client_ip=client_ip,
            reason=exc.message,
            outcome="refused",
        )
        raise
    except BaseException:
        if copied:
            delete_files([copied], on_commit=False)
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


def _replay(scoped_key: str, fingerprint: str) -> AssetVersion | None:
    existing = AssetVersion.objects.filter(idempotency_key=scoped_key).first()
    if existing is None:
        return None
    if (existing.params or {}).get("fingerprint") != fingerprint:
        raise IdempotencyConflict(
            _("This idempotency key was already used for a different request.")
        )
    return existing


def _copy_cached(cached: AssetVersion, asset_id: Any, version_id: Any) -> str:
    """Copy a cached original to the new version's own name (before any row exists)."""
    with cached.original.open("rb") as handle:
        data = handle.read()
    return save_exact(original_name(asset_id, version_id, cached.mime_type, attempt=0), data)


def _reuse(
    version: AssetVersion, cached: AssetVersion, saved: str, *, user: Any, client_ip: str | None
) -> None:
    """Finish a version at no cost with a copy of an identical finished original.

    From another owner's image (a site-wide cache) only the image is taken: not the
    model's text or turn, and the API does not show which version it came from.
    """
    now = timezone.now()
    shared = cached.asset.owner_id != version.asset.owner_id
    AssetVersion.objects.filter(pk=version.pk).update(
        state=State.SUCCEEDED,
        reused_from=cached,
        original=saved,
        width=cached.width,
        height=cached.height,
        mime_type=cached.mime_type,
        sha256=cached.sha256,
        model_turn=None if shared else cached.model_turn,
        model_text="" if shared else cached.model_text,
        cost=0,
        params={**(version.params or {}), "reused_across_owners": True}
        if shared
        else version.params,
        response_id=cached.response_id,
        model_version=cached.model_version,
        model_status=cached.model_status,
        grounding_metadata=cached.grounding_metadata,
        finish_reason=cached.finish_reason,
        started_at=now,
        finished_at=now,
        latency_ms=0,
        dominant_color=cached.dominant_color,
        lqip=cached.lqip,
        provenance=cached.provenance,
    )
    version.refresh_from_db()
    accounting.cache_hit(
        version, avoided=cached.cost or version.estimated_cost, user=user, client_ip=client_ip
    )
    version_id = version.pk
    transaction.on_commit(
        lambda: signals.version_finished.send(sender=AssetVersion, version=version)
    )
    transaction.on_commit(lambda: _after_success(version_id))


def _enqueue(version_id: Any) -> None:
    from ..tasks import enqueue_version

    enqueue_version(version_id)


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
    user = real_user(user)
    params = replace(params, notices=(*params.notices, *_lifecycle_notices(params)))
    references = resolve_references(params.references, user=user)
    if overlay is not None:
        from .assets import validate_overlay

        overlay = validate_overlay(overlay)
    capabilities = _validated(params, references, user=user, source=source, client_ip=client_ip)
    return _create_version(
        kind=VersionKind.GENERATE,
        params=params,
        capabilities=capabilities,
        references=references,
        asset=asset,
        parent=asset.current_version if asset else None,
        title=title,
        alt_text=alt_text,
        overlay=overlay,
        user=user,
        source=source,
        idempotency_key=idempotency_key,
        client_ip=client_ip,
        enqueue=enqueue,
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
    user = real_user(user)
    base = _carried_over(
        version,
        GenerationParams(
            prompt=version.prompt,
            model=version.model,
            aspect_ratio=version.aspect_ratio or None,
            image_size=version.image_size or None,
            seed=version.seed,
            provider=version.provider,
            thinking_level=(version.params or {}).get("thinking_level"),
            grounding=(version.params or {}).get("grounding", ""),
            references=tuple(r["id"] for r in version.references if r.get("id")),
        ),
    )
    allowed = {
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
    changes = {k: v for k, v in (changes or {}).items() if v is not None or k == "seed"}
    unknown = set(changes) - allowed
    if unknown:
        raise RequestValidationError({k: [_("This field cannot be changed.")] for k in unknown})
    if "references" in changes:
        changes["references"] = tuple(str(r) for r in changes["references"])
    if changes.get("model") and changes["model"] != base.model:
        base = replace(base, notices=())  # the caller chose the model: nothing to explain
    params = replace(base, **changes, use_cache=False)
    params = replace(params, notices=(*params.notices, *_lifecycle_notices(params)))
    references = (
        resolve_references(params.references, user=user)
        if "references" in changes
        else _recorded_references(version)
    )
    capabilities = _validated(params, references, user=user, source=source, client_ip=client_ip)
    return _create_version(
        kind=VersionKind.REGENERATE,
        params=params,
        capabilities=capabilities,
        references=references,
        asset=version.asset,
        parent=version,
        title="",
        alt_text="",
        overlay=None,
        user=user,
        source=source,
        idempotency_key=idempotency_key,
        client_ip=client_ip,
        enqueue=enqueue,
    )


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
    user = real_user(user)
    if version.state != State.SUCCEEDED or not version.original:
        raise StateConflict(_("Only a finished image can be edited."))
    refs = resolve_references(references, user=user)
    params = edit_params(
        version,
        instruction=instruction,
        references=tuple(str(r.pk) for r in refs),
        webhook_url=webhook_url,
    )
    # The edited image travels as one more input image.
    capabilities = _validated(
        params, refs, user=user, source=source, client_ip=client_ip, extra_images=1
    )
    return _create_version(
        kind=VersionKind.EDIT,
        params=params,
        capabilities=capabilities,
        references=refs,
        asset=version.asset,
        parent=version,
        title="",
        alt_text="",
        overlay=None,
        user=user,
        source=source,
        idempotency_key=idempotency_key,
        client_ip=client_ip,
        enqueue=enqueue,
    )


def edit_params(
    version: AssetVersion,
    *,
    instruction: str,
    references: Sequence[str] = (),
    webhook_url: str | None = None,
) -> GenerationParams:
    """The request an edit of ``version`` makes: its model (or, when Google retired it, the
    replacement, with ratio and size adapted), ratio, size and provider, with the notices to
    show. One rule for :func:`edit` and the forms that validate an edit before it."""
    params = _carried_over(
        version,
        GenerationParams(
            prompt=instruction,
            model=version.model,
            aspect_ratio=version.aspect_ratio or None,
            image_size=version.image_size or None,
            provider=version.provider,
            references=tuple(references),
            use_cache=False,
            webhook_url=webhook_url,
        ),
    )
    return replace(params, notices=(*params.notices, *_lifecycle_notices(params)))


def cancel(version: AssetVersion, *, user: Any = None) -> AssetVersion:
    """Cancel queued work; a running or finished version cannot be cancelled."""
    with transaction.atomic():
        updated = AssetVersion.objects.filter(pk=version.pk, state=State.QUEUED).update(
            state=State.CANCELLED,
            finished_at=timezone.now(),
            error_code="CANCELLED",
            error=_("Cancelled before it ran."),
        )
        if not updated:
            version.refresh_from_db()
            raise StateConflict(
                _("Only queued work can be cancelled; this version is %(state)s.")
                % {"state": version.get_state_display()}
            )
        version.refresh_from_db()
        accounting.release(version, outcome=State.CANCELLED)
        transaction.on_commit(
            lambda: signals.version_finished.send(sender=AssetVersion, version=version)
        )
    return version


def _lifecycle_notices(params: GenerationParams) -> tuple[str, ...]:
    """A deprecated or legacy model still works; say when it goes away (a retired or
    unknown model is refused later, by validation)."""
    try:
        model = get_model(params.resolved_model())
    except RequestValidationError:
        return ()
    notice = model.lifecycle_notice() if model.is_going_away else None
    return (notice,) if notice else ()


def _carried_over(version: AssetVersion, params: GenerationParams) -> GenerationParams:
    """Parameters of a stored version for a new request from it: a model Google has
    retired is replaced (ratio, size and thinking level adapted where the replacement
    lacks them), and the returned params say so in their notices."""
    model, replaced = resolve_model(version.model)
    if replaced is None:
        return params
    changes: dict[str, Any] = {"model": model.id}
    notes = [
        _("%(old)s was retired by Google; this version uses its replacement, %(new)s.")
        % {"old": replaced, "new": model.id}
    ]
    if params.aspect_ratio and params.aspect_ratio not in model.aspect_ratios:
        changes["aspect_ratio"] = None
        notes.append(
            _("Aspect ratio %(value)s is not offered by %(model)s: the model's default is used.")
            % {"value": params.aspect_ratio, "model": model.id}
        )
    if params.image_size and params.image_size not in model.image_sizes:
        changes["image_size"] = model.default_image_size if model.image_sizes else None
        notes.append(
            _("Image size %(value)s is not offered by %(model)s: %(size)s is used.")
            % {
                "value": params.image_size,
                "model": model.id,
                "size": changes["image_size"] or _("its fixed size"),
            }
        )
    if params.thinking_level and params.thinking_level not in model.thinking_levels:
        changes["thinking_level"] = None
    if params.grounding and not set(params.grounding.split("+")) <= set(model.grounding):
        changes["grounding"] = ""
        notes.append(
            _("%(model)s has no search grounding of this kind; it is left out.")
            % {"model": model.id}
        )
    return replace(params, **changes, notices=(*params.notices, *map(str, notes)))


def _recorded_references(version: AssetVersion) -> list[ReferenceImage]:
    ids = [r["id"] for r in version.references if r.get("id")]
    return list(ReferenceImage.objects.filter(pk__in=ids))


def _validated(
    params: GenerationParams,
    references: list[ReferenceImage],
    *,
    user: Any,
    source: str,
    client_ip: str | None,
    extra_images: int = 0,
) -> ModelCapabilities:
    """Validate; a refused request is still recorded in the audit trail."""
    try:
        return validate_params(
            params,
            reference_count=len(references) + extra_images,
            reference_sizes=[r.bytes for r in references],
        )
    except (RequestValidationError, ConfigurationError) as exc:
        accounting.refused(
            params,
            user=user,
            source=source,
            client_ip=client_ip,
            reason=str(getattr(exc, "message", exc)),
            outcome="invalid",
        )
        raise


# -- the worker side --------------------------------------------------------------------------


def _claim(version_id: Any, *, lease_seconds: float | None = None) -> AssetVersion | None:
    now = timezone.now()
    lease = timedelta(seconds=lease_seconds or nanobanana_settings.TASK_LEASE_SECONDS)
    claimed = AssetVersion.objects.filter(pk=version_id, state=State.QUEUED).update(
        state=State.RUNNING,
        attempts=F("attempts") + 1,
        started_at=now,
        lease_expires_at=now + lease,
    )
    if not claimed:
        return None
    return AssetVersion.objects.select_related("asset", "parent").get(pk=version_id)


def _finish(version: AssetVersion, state: str, **fields: Any) -> bool:
    """Move a running version (of this attempt) to a final state and close its money in
    the same transaction: its cost is the sum of its billed answers over every attempt
    (a ``cost`` passed in is ignored), settled, or refunded when nothing was billed.
    False if the version was not ours any more. A locked database is waited out
    (:func:`~.lease.retry_on_lock`) rather than leaving the version running."""
    fields.setdefault("finished_at", timezone.now())
    fields.pop("cost", None)

    def attempt() -> bool:
        with transaction.atomic():
            updated = AssetVersion.objects.filter(
                pk=version.pk, state=State.RUNNING, attempts=version.attempts
            ).update(state=state, lease_expires_at=None, **fields)
            if not updated:
                return False
            for key, value in fields.items():
                setattr(version, key, value)
            version.state = state
            totals = accounting.finish(version)
            AssetVersion.objects.filter(pk=version.pk).update(**totals)
            transaction.on_commit(
                lambda: signals.version_finished.send(sender=AssetVersion, version=version)
            )
        return True

    return retry_on_lock(attempt, label=f"version {version.pk}: settling")


def _usage_fields(result: Any, capabilities: ModelCapabilities) -> dict[str, Any]:
    usage = result.usage
    return {
        "prompt_text_tokens": usage.prompt_text_tokens,
        "prompt_image_tokens": usage.prompt_image_tokens,
        "output_text_tokens": usage.output_text_tokens,
        "output_image_tokens": usage.output_image_tokens,
        "thoughts_tokens": usage.thoughts_tokens,
        "latency_ms": result.latency_ms,
        "response_id": (result.response_id or "")[:200],
        "model_version": (result.model_version or "")[:100],
        "finish_reason": (result.finish_reason or result.block_reason or "")[:64],
        "model_text": result.text or "",
        "model_status": result.model_status or {},
        "grounding_metadata": result.grounding_metadata,
        "grounded_prompts": usage.grounded_prompts,
    }


def execute_version(version_id: Any) -> AssetVersion | None:
    """Claim a queued version and run it to a final state. None when nothing was claimed."""
    version = _claim(version_id)
    if version is None:
        logger.info("version %s: nothing to claim", version_id)
        return None
    # The lease is extended while the version runs, so the reaper cannot take a slow but
    # live call away (and have it run, and billed, twice).
    with Heartbeat(version):
        try:
            _run(version)
        except Exception as exc:  # never leave a version running because of a bug
            logger.exception("version %s failed unexpectedly", version.pk)
            # What was billed before the failure (e.g. storage failed after a good
            # answer) stays booked: _finish settles the billed answers.
            _finish(
                version,
                State.FAILED,
                error_code="INTERNAL_ERROR",
                error=_("Internal error: %(type)s") % {"type": type(exc).__name__},
            )
    version.refresh_from_db()
    return version


def _build_request(
    version: AssetVersion, capabilities: ModelCapabilities, provider: Any
) -> ImageRequest:
    references = load_for_request(version.references)
    history: list[dict[str, Any]] | None = None
    if version.kind == VersionKind.EDIT and version.parent is not None:
        from ..providers.base import ReferenceImage as ProviderReference

        parent = version.parent
        with parent.original.open("rb") as handle:
            image = handle.read()
        # Continue the conversation only with the model that had it (thought signatures
        # are the model's own); a replaced model gets the image as its first input.
        if parent.model_turn and parent.kind != "upload" and parent.model == version.model:
            history = provider.edit_history(
                parent.prompt,
                load_for_request(parent.references),
                parent.model_turn,
                image,
                parent.mime_type,
            )
        if history is None:  # no earlier turn to continue: send the image to edit first
            references = [ProviderReference(data=image, mime_type=parent.mime_type), *references]
    return ImageRequest(
        prompt=version.prompt,
        model=version.model,
        aspect_ratio=version.aspect_ratio or None,
        image_size=version.image_size if capabilities.image_sizes and version.image_size else None,
        seed=version.seed,
        thinking_level=(version.params or {}).get("thinking_level"),
        grounding=(version.params or {}).get("grounding", ""),
        references=references,
        history=history or (),
    )


def _run(version: AssetVersion) -> None:
    try:
        capabilities = get_model(version.model)
        provider = get_provider(version.provider)
    except (RequestValidationError, ConfigurationError) as exc:
        _finish(version, State.FAILED, error_code="CONFIGURATION", error=str(exc))
        return
    request = _build_request(version, capabilities, provider)
    recorder = accounting.BilledRecorder(version, capabilities)
    try:
        result = provider.generate(request, on_billed=recorder)
    except RequestValidationError as exc:
        _finish(version, State.FAILED, error_code="INVALID_REQUEST", error=exc.message)
        return
    except ProviderError as exc:
        # Answers billed before the call gave up (truncated images, unreadable 200s)
        # stay booked.
        recorder.flush(exc.billed)
        _finish(version, State.FAILED, error_code=exc.reason[:64], error=provider.redact(str(exc)))
        return
    recorder.flush(result.billed)
    trim_memory()  # the answer's text and JSON (~60 MB for 4K) were freed: give it back
    apply_result(version, result, capabilities)


def apply_result(
    version: AssetVersion, result: Any, capabilities: ModelCapabilities, *, batch: bool = False
) -> None:
    """Finish a running version from a provider result: blocked/failed with the reason, or
    decode, store the original, settle, then write renditions and make it current.

    The result's billed answers must already be recorded (:class:`~.accounting.
    BilledRecorder`; ``batch`` results at the batch price): the version's cost is their sum.
    """
    usage = _usage_fields(result, capabilities)
    if result.outcome != "succeeded":
        state = State.BLOCKED if result.outcome == "blocked" else State.FAILED
        code = result.block_reason or result.finish_reason or "NO_IMAGE"
        _finish(version, state, error_code=code[:64], error=result.reason, **usage)
        return
    data = result.image or b""
    result.image = None  # only ``data`` holds the bytes now: dropped once stored
    try:
        decoded = decode_image(
            data,
            allowed_formats=nanobanana_settings.ALLOWED_INPUT_FORMATS,
            max_pixels=nanobanana_settings.MAX_INPUT_PIXELS,
        )
    except ImageValidationError as exc:
        _finish(
            version,
            State.FAILED,
            error_code="BAD_IMAGE",
            error=_("The provider returned an unusable image: %(reason)s")
            % {"reason": exc.message},
            **usage,
        )
        return
    mime = decoded.mime_type if decoded.mime_type in EXTENSIONS else "image/png"
    placeholders = {
        "dominant_color": dominant_color(decoded.image),
        "lqip": lqip_data_uri(decoded.image),
    }
    placeholders["provenance"] = read_provenance(data, mime)
    # Stored byte for byte as received: the provider's C2PA manifest stays intact.
    saved = save_exact(
        original_name(version.asset_id, version.pk, mime, attempt=version.attempts), data
    )
    digest = sha256_hex(data)
    del data  # a 4K PNG is ~25 MB: not held while the renditions are made
    try:
        finished = _finish(
            version,
            State.SUCCEEDED,
            original=saved,
            width=decoded.width,
            height=decoded.height,
            mime_type=mime,
            sha256=digest,
            model_turn=result.model_turn,
            error_code="",
            error="",
            **placeholders,
            **usage,
        )
    except Exception:
        delete_files([saved], on_commit=False)
        raise
    if not finished:
        # Another attempt owns this version now (our lease ran out): keep nothing of ours.
        delete_files([saved], on_commit=False)
        return
    from ..tasks import renders_separately

    if renders_separately():
        del decoded  # the CPU cluster decodes the stored original itself
        _after_success(version.pk)
    else:
        _after_success(version.pk, decoded=decoded)


def _after_success(version_id: Any, *, decoded: Any = None) -> None:
    """Write the renditions, then make the version the asset's current one: here, or on
    the CPU cluster when renditions have a cluster of their own (``CPU_QUEUE_NAME``)."""
    from ..tasks import enqueue_publish, renders_separately
    from .assets import publish
    from .descriptions import describe_after_generation

    if renders_separately():
        enqueue_publish(version_id)
    else:
        publish(version_id, decoded=decoded)
    # Alt text and focal point: one cheap text-model call of its own (DESCRIPTIONS).
    transaction.on_commit(lambda: describe_after_generation(version_id))
