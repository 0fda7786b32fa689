"""The worker side of a generation: run a claimed version to a final state.

The provider is called with the version's stored request (an edit continues the
conversation, or sends the image to edit first), the billed answers are booked as they
arrive, and the result is applied: blocked or failed with the reason, or the original
decoded safely, stored byte for byte and settled; then its renditions are written (here,
or on the CPU cluster) and it becomes the asset's current version.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from ..conf import nanobanana_settings
from ..exceptions import ConfigurationError, RequestValidationError
from ..imaging.decode import ImageValidationError, decode_image, sha256_hex
from ..imaging.disclosure import read_provenance
from ..imaging.placeholder import dominant_color, lqip_data_uri
from ..ledger import accounting
from ..models import AssetVersion, State, VersionKind
from ..providers import ImageRequest, get_provider
from ..providers import ReferenceImage as ProviderReference
from ..providers.errors import ProviderError
from ..providers.models_registry import ModelCapabilities, get_model
from ..storage import EXTENSIONS, delete_files, original_name, save_exact
from ..workers import trim_memory
from . import queue
from .assets import publish
from .descriptions import describe_after_generation
from .lease import Heartbeat
from .references import load_for_request
from .transitions import claim_version, finish_version, run_guarded

logger = logging.getLogger(__name__)


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
    version = claim_version(version_id)
    if version is None:
        logger.info("version %s: nothing to claim", version_id)
        return None
    # The lease is extended while the version runs, so the reaper cannot take a slow but
    # live call away (and have it run, and billed, twice).
    with Heartbeat(version):
        run_guarded(version, run, finish_version, what="version")
    version.refresh_from_db()
    return version


def build_request(
    version: AssetVersion, capabilities: ModelCapabilities, provider: Any
) -> ImageRequest:
    references = load_for_request(version.references)
    history: list[dict[str, Any]] | None = None
    if version.kind == VersionKind.EDIT and version.parent is not None:
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


def run(version: AssetVersion) -> None:
    """Call the provider for a claimed version and apply the result."""
    try:
        capabilities = get_model(version.model)
        provider = get_provider(version.provider)
    except (RequestValidationError, ConfigurationError) as exc:
        finish_version(version, State.FAILED, error_code="CONFIGURATION", error=str(exc))
        return
    request = build_request(version, capabilities, provider)
    recorder = accounting.BilledRecorder(version, capabilities)
    try:
        result = provider.generate(request, on_billed=recorder)
    except RequestValidationError as exc:
        finish_version(version, State.FAILED, error_code="INVALID_REQUEST", error=exc.message)
        return
    except ProviderError as exc:
        # Answers billed before the call gave up (truncated images, unreadable 200s)
        # stay booked.
        recorder.flush(exc.billed)
        finish_version(
            version, State.FAILED, error_code=exc.reason[:64], error=provider.redact(str(exc))
        )
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
        finish_version(version, state, error_code=code[:64], error=result.reason, **usage)
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
        finish_version(
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
        finished = finish_version(
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
    if queue.renders_separately():
        del decoded  # the CPU cluster decodes the stored original itself
        after_success(version.pk)
    else:
        after_success(version.pk, decoded=decoded)


def after_success(version_id: Any, *, decoded: Any = None) -> None:
    """Write the renditions, then make the version the asset's current one: here, or on
    the CPU cluster when renditions have a cluster of their own (``CPU_QUEUE_NAME``)."""
    if queue.renders_separately():
        queue.enqueue(queue.PUBLISH_VERSION, version_id)
    else:
        publish(version_id, decoded=decoded)
    # Alt text and focal point: one cheap text-model call of its own (DESCRIPTIONS).
    transaction.on_commit(lambda: describe_after_generation(version_id))
