"""Generate: validate, record a queued version, enqueue on commit; the worker executes it.

Every state change is a conditional UPDATE, so a second worker or a redelivered task finds
nothing to claim, and a worker that lost its lease cannot overwrite the winner's result.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from ..conf import nanobanana_settings
from ..exceptions import ConfigurationError, RequestValidationError
from ..imaging.decode import ImageValidationError, decode_image, sha256_hex
from ..models import AssetVersion, GeneratedAsset, Source, State, VersionKind
from ..providers import ImageRequest, get_provider
from ..providers.errors import ProviderError
from ..providers.models_registry import ModelCapabilities, get_model
from ..storage import EXTENSIONS, delete_files, original_name, save_exact

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
    extra: dict[str, Any] = field(default_factory=dict)

    def resolved_model(self) -> str:
        return self.model or nanobanana_settings.DEFAULT_MODEL

    def resolved_provider(self) -> str:
        return self.provider or nanobanana_settings.DEFAULT_PROVIDER


def validate_params(params: GenerationParams) -> ModelCapabilities:
    """Check a request against the model's capabilities and the site's configuration.

    Raises :class:`RequestValidationError` (bad input, every field at once) or
    :class:`ConfigurationError` (unknown provider, no API key) before anything is spent.
    """
    capabilities = get_model(params.resolved_model())
    capabilities.validate(
        aspect_ratio=params.aspect_ratio,
        image_size=params.image_size,
        prompt=params.prompt,
        thinking_level=params.thinking_level,
    )
    provider = get_provider(params.resolved_provider())
    if not provider.api_key:
        env = provider.config.get("API_KEY_ENV")
        raise ConfigurationError(
            _("No API key is configured for provider %(alias)s (set %(env)s).")
            % {"alias": provider.alias, "env": env or "API_KEY"}
        )
    allowed = provider.config.get("MODELS")
    if allowed and capabilities.id not in allowed:
        raise RequestValidationError({"model": [
            _("Provider %(alias)s does not serve %(model)s; it serves: %(allowed)s.")
            % {"alias": provider.alias, "model": capabilities.id, "allowed": ", ".join(allowed)}
        ]})
    return capabilities


def generate(
    params: GenerationParams,
    *,
    asset: GeneratedAsset | None = None,
    title: str = "",
    user: Any = None,
    source: str = Source.API,
    enqueue: bool = True,
) -> AssetVersion:
    """Validate, then create (an asset if needed and) a queued version.

    With ``enqueue`` the version is handed to the task queue once the transaction commits.
    """
    capabilities = validate_params(params)
    user = user if getattr(user, "is_authenticated", False) else None
    with transaction.atomic():
        if asset is None:
            asset = GeneratedAsset.objects.create(
                title=title or params.prompt[:200], owner=user
            )
        version = AssetVersion.objects.create(
            asset=asset,
            kind=VersionKind.GENERATE,
            source=source,
            prompt=params.prompt,
            provider=params.resolved_provider(),
            model=capabilities.id,
            aspect_ratio=params.aspect_ratio or "",
            image_size=params.image_size or (capabilities.default_image_size or ""),
            seed=params.seed,
            params={"thinking_level": params.thinking_level, **params.extra}
            if params.thinking_level or params.extra else {},
            estimated_cost=capabilities.estimate_cost(
                image_size=params.image_size, prompt_chars=len(params.prompt)
            ),
            created_by=user,
        )
        if enqueue:
            from ..tasks import enqueue_version

            transaction.on_commit(lambda: enqueue_version(version.pk))
    return version


def _claim(version_id: Any) -> AssetVersion | None:
    now = timezone.now()
    lease = timedelta(seconds=nanobanana_settings.TASK_LEASE_SECONDS)
    claimed = AssetVersion.objects.filter(pk=version_id, state=State.QUEUED).update(
        state=State.RUNNING,
        attempts=F("attempts") + 1,
        started_at=now,
        lease_expires_at=now + lease,
    )
    if not claimed:
        return None
    return AssetVersion.objects.select_related("asset").get(pk=version_id)


def _finish(version: AssetVersion, state: str, **fields: Any) -> bool:
    """Move a running version (of this attempt) to a final state; False if it was not ours."""
    fields.setdefault("finished_at", timezone.now())
    updated = AssetVersion.objects.filter(
        pk=version.pk, state=State.RUNNING, attempts=version.attempts
    ).update(state=state, lease_expires_at=None, **fields)
    if updated:
        for key, value in fields.items():
            setattr(version, key, value)
        version.state = state
    return bool(updated)


def _usage_fields(result: Any, capabilities: ModelCapabilities | None) -> dict[str, Any]:
    usage = result.usage
    fields = {
        "prompt_text_tokens": usage.prompt_text_tokens,
        "prompt_image_tokens": usage.prompt_image_tokens,
        "output_text_tokens": usage.output_text_tokens,
        "output_image_tokens": usage.output_image_tokens,
        "thoughts_tokens": usage.thoughts_tokens,
        "latency_ms": result.latency_ms,
        "response_id": result.response_id or "",
        "model_version": result.model_version or "",
        "finish_reason": result.finish_reason or result.block_reason or "",
        "model_text": result.text or "",
    }
    if capabilities is not None:
        fields["cost"] = capabilities.cost_from_usage(usage)
    return fields


def execute_version(version_id: Any) -> AssetVersion | None:
    """Claim a queued version and run it to a final state. None when nothing was claimed."""
    version = _claim(version_id)
    if version is None:
        logger.info("version %s: nothing to claim", version_id)
        return None
    try:
        _run(version)
    except Exception as exc:  # never leave a version running because of a bug
        logger.exception("version %s failed unexpectedly", version.pk)
        _finish(version, State.FAILED, error_code="INTERNAL_ERROR",
                error=_("Internal error: %(type)s") % {"type": type(exc).__name__})
    version.refresh_from_db()
    return version


def _run(version: AssetVersion) -> None:
    try:
        capabilities = get_model(version.model)
        provider = get_provider(version.provider)
    except (RequestValidationError, ConfigurationError) as exc:
        _finish(version, State.FAILED, error_code="CONFIGURATION", error=str(exc))
        return
    request = ImageRequest(
        prompt=version.prompt,
        model=version.model,
        aspect_ratio=version.aspect_ratio or None,
        image_size=version.image_size if capabilities.image_sizes and version.image_size else None,
        seed=version.seed,
        thinking_level=(version.params or {}).get("thinking_level"),
    )
    try:
        result = provider.generate(request)
    except RequestValidationError as exc:
        _finish(version, State.FAILED, error_code="INVALID_REQUEST", error=exc.message)
        return
    except ProviderError as exc:
        _finish(version, State.FAILED, error_code=exc.reason[:64], error=provider.redact(str(exc)))
        return
    usage = _usage_fields(result, capabilities)
    if result.outcome != "succeeded":
        state = State.BLOCKED if result.outcome == "blocked" else State.FAILED
        code = result.block_reason or result.finish_reason or "NO_IMAGE"
        _finish(version, state, error_code=code[:64], error=result.reason, **usage)
        return
    try:
        decoded = decode_image(
            result.image or b"",
            allowed_formats=nanobanana_settings.ALLOWED_INPUT_FORMATS,
            max_pixels=nanobanana_settings.MAX_INPUT_PIXELS,
        )
    except ImageValidationError as exc:
        _finish(version, State.FAILED, error_code="BAD_IMAGE",
                error=_("The provider returned an unusable image: %(reason)s")
                % {"reason": exc.message}, **usage)
        return
    mime = decoded.mime_type if decoded.mime_type in EXTENSIONS else "image/png"
    name = original_name(version.asset_id, version.pk, mime, attempt=version.attempts)
    saved = save_exact(name, result.image or b"")
    finished = _finish(
        version, State.SUCCEEDED,
        original=saved, width=decoded.width, height=decoded.height, mime_type=mime,
        sha256=sha256_hex(result.image or b""), model_turn=result.model_turn,
        error_code="", error="", **usage,
    )
    if not finished:
        # Another attempt owns this version now (our lease ran out): keep nothing of ours.
        delete_files([saved], on_commit=False)
        return
    GeneratedAsset.objects.filter(pk=version.asset_id).update(
        current_version=version, updated_at=timezone.now()
    )
