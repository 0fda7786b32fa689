"""The worker side of a description: run a claimed describe call to a final state.

The finished version's image (at most :data:`MAX_SIDE` wide or high) is sent with its
prompt to the text model; the structured answer becomes the suggestion's alt texts,
descriptions and focal point. Each billed answer is booked as it arrives and the call is
settled, or refunded, when it ends, under the description's own id
(:mod:`.descriptions` requests it and says what it is for).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from .. import ledger
from ..conf import nanobanana_settings
from ..exceptions import ConfigurationError, RequestValidationError
from ..ledger import accounting
from ..models import AssetVersion, DescriptionState, ImageDescription, Outcome
from ..providers import get_provider
from ..providers.base import DescribeRequest, ReferenceImage
from ..providers.errors import ProviderError
from ..providers.models_registry import TextModel, get_text_model
from .crops import focal_point_changed
from .descriptions import instruction, languages, schema
from .transitions import claim, finish_running, run_guarded

logger = logging.getLogger(__name__)

#: The image is sent at most this wide/high (JPEG): enough to describe, cheap to send.
MAX_SIDE = 1024


def execute_description(description_id: Any) -> ImageDescription | None:
    """Claim a queued description and run the call. None when nothing was claimed."""
    if not claim(ImageDescription, description_id):
        return None
    description = ImageDescription.objects.select_related("version").get(pk=description_id)
    run_guarded(description, _run, finish_description, what="description")
    description.refresh_from_db()
    return description


def _image_for_request(version: AssetVersion) -> ReferenceImage:
    with version.original.open("rb") as handle:
        data = handle.read()
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        if max(image.size) <= MAX_SIDE and version.mime_type in (
            "image/png",
            "image/jpeg",
            "image/webp",
        ):
            return ReferenceImage(data, version.mime_type)
        image = image.convert("RGB")
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=85)
    return ReferenceImage(out.getvalue(), "image/jpeg")


def _run(description: ImageDescription) -> None:
    version = description.version
    try:
        model = get_text_model(description.model)
        provider = get_provider(description.provider)
    except (RequestValidationError, ConfigurationError) as exc:
        finish_description(
            description, DescriptionState.FAILED, error_code="CONFIGURATION", error=str(exc)
        )
        return
    codes = list(description.languages) or languages()
    request = DescribeRequest(
        model=model.id,
        prompt=instruction(version.prompt, codes),
        image=_image_for_request(version),
        schema=schema(codes),
        thinking_level=_thinking_level(model),
    )
    recorder = accounting.BilledRecorder(description, model)
    try:
        result = provider.describe(request, on_billed=recorder)
    except ConfigurationError as exc:
        finish_description(
            description, DescriptionState.FAILED, error_code="CONFIGURATION", error=str(exc)
        )
        return
    except ProviderError as exc:
        recorder.flush(exc.billed)
        finish_description(
            description,
            DescriptionState.FAILED,
            error_code=exc.reason[:64],
            error=provider.redact(str(exc)),
        )
        return
    recorder.flush(result.billed)
    fields = parse_answer(result.data, codes)
    finished = finish_description(
        description, DescriptionState.SUCCEEDED, error_code="", error="", **fields
    )
    asset = version.asset
    if (
        finished
        and fields["focal_point_x"] is not None
        and asset.focal_point_x is None
        and asset.current_version_id == version.pk
    ):
        # Crops were cut around the centre; the suggested focal point is better.
        focal_point_changed(asset)


def _thinking_level(model: TextModel) -> str | None:
    level = nanobanana_settings.DESCRIPTIONS.get("THINKING_LEVEL") or None
    return level if level in model.thinking_levels else None


def _clamp(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if number != number:  # NaN
        return None
    return min(1.0, max(0.0, number))


def parse_answer(data: Mapping[str, Any], codes: list[str]) -> dict[str, Any]:
    """The stored fields from the model's JSON (lenient: missing parts stay empty)."""
    max_chars = int(nanobanana_settings.DESCRIPTIONS.get("MAX_ALT_CHARS") or 150)

    def texts(value: Any, limit: int | None) -> dict[str, str]:
        if isinstance(value, str):
            value = {codes[0]: value}
        if not isinstance(value, Mapping):
            return {}
        out = {}
        for code in codes:
            text = " ".join(str(value.get(code) or "").split())
            if text:
                out[code] = text[:limit] if limit else text
        return out

    focal = data.get("focal_point") if isinstance(data.get("focal_point"), Mapping) else {}
    return {
        "alt_text": texts(data.get("alt_text"), max_chars),
        "description": texts(data.get("description"), 4000),
        "focal_point_x": _clamp(focal.get("x")),
        "focal_point_y": _clamp(focal.get("y")),
    }


def finish_description(row: ImageDescription, state: str, **fields: Any) -> bool:
    """Move a running description to a final state and close its money (the sum of its
    billed answers settled, or the reservation refunded) in one transaction."""

    def close() -> None:
        totals = ledger.close(row.pk, images=0)
        ImageDescription.objects.filter(pk=row.pk).update(**totals)
        outcome = Outcome.SUCCEEDED if state == DescriptionState.SUCCEEDED else Outcome.FAILED
        ledger.record_outcome(
            row.pk,
            outcome=outcome,
            reason=fields.get("error", ""),
            usage=_Totals(totals),
            attempts=row.attempts,
        )

    return finish_running(row, state, fields, close=close, label=f"row {row.pk}: settling")


class _Totals:
    def __init__(self, totals: Mapping[str, Any]) -> None:
        self.__dict__.update(totals)


def reap_descriptions(*, now: Any = None) -> int:
    """Fail descriptions whose worker was lost (lease expired); their money is closed."""
    now = now or timezone.now()
    count = 0
    for description in ImageDescription.objects.filter(
        state=DescriptionState.RUNNING, lease_expires_at__lt=now
    ):
        if finish_description(
            description,
            DescriptionState.FAILED,
            error_code="LEASE_EXPIRED",
            error=_("The worker was lost; request the description again."),
        ):
            count += 1
    return count
