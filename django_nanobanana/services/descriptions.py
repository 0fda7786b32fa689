"""Alt text, description and focal point from one cheap text-model call per version.

A finished version (after a generation when ``DESCRIPTIONS["AUTO"]`` is on, or on demand
from the admin and the API) is shown to a text model (``DESCRIPTIONS["MODEL"]``, by
default Gemini 3.1 Flash-Lite) with its prompt; the answer is structured output (a JSON
schema): a concise alt text and a longer description in each of the site's languages,
and the main subject's focal point as fractions of the width and height.

The call is money like any other: its estimate is reserved on every budget that applies
(``images=0``) when it is requested, each billed answer is recorded as it arrives and the
call is settled (or refunded) when it ends, all under the description's own id in the
ledger and the audit trail. Refused for budget, the description is stored as ``refused``
with the reason and the image is left as it was.

What comes back is a *suggestion* (:class:`~django_nanobanana.models.ImageDescription`):
an editor accepts it (perhaps edited) or rejects it. Pages use the reviewed alt text, else
the suggestion when ``DESCRIPTIONS["USE_UNREVIEWED"]`` allows, else ``""``
(:func:`alt_text_for`). The call itself runs in :mod:`.description_worker`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import global_settings, settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .. import ledger
from ..access import real_user
from ..conf import nanobanana_settings
from ..exceptions import (
    BudgetExceeded,
    ConfigurationError,
    RequestValidationError,
    StateConflict,
)
from ..ledger import reserve as reserve_budget
from ..models import (
    AssetVersion,
    DescriptionState,
    GeneratedAsset,
    ImageDescription,
    Outcome,
    Review,
    Source,
    State,
)
from ..providers import get_provider
from ..providers.models_registry import get_text_model
from . import queue
from .crops import focal_point_changed

logger = logging.getLogger(__name__)


# -- settings -----------------------------------------------------------------------------


def languages() -> list[str]:
    """Language codes the alt text is written in: ``DESCRIPTIONS["LANGUAGES"]``, else the
    site's ``LANGUAGES`` when it set its own, else ``LANGUAGE_CODE``."""
    configured = nanobanana_settings.DESCRIPTIONS.get("LANGUAGES")
    if configured:
        codes = [str(code) for code in configured]
    elif list(settings.LANGUAGES) != list(global_settings.LANGUAGES):
        codes = [str(code) for code, _name in settings.LANGUAGES]
    else:
        codes = [settings.LANGUAGE_CODE]
    return list(dict.fromkeys(code.lower() for code in codes))


def primary_language() -> str:
    return languages()[0]


def schema(codes: list[str]) -> dict[str, Any]:
    """The JSON schema the text model's answer follows (``responseJsonSchema``)."""
    max_chars = int(nanobanana_settings.DESCRIPTIONS.get("MAX_ALT_CHARS") or 150)
    per_language = {
        "type": "object",
        "properties": {code: {"type": "string"} for code in codes},
        "required": list(codes),
    }
    fraction = {"type": "number", "minimum": 0, "maximum": 1}
    return {
        "type": "object",
        "properties": {
            "alt_text": {
                **per_language,
                "description": (
                    f"Concise alt text per language code, at most {max_chars} characters, "
                    "saying what the image shows for someone who cannot see it."
                ),
            },
            "description": {
                **per_language,
                "description": ("A longer description per language code (two to four sentences)."),
            },
            "focal_point": {
                "type": "object",
                "description": "Centre of the main subject as fractions of width and height "
                "from the top left corner.",
                "properties": {"x": fraction, "y": fraction},
                "required": ["x", "y"],
            },
        },
        "required": ["alt_text", "description", "focal_point"],
    }


def instruction(prompt: str, codes: list[str]) -> str:
    """The text sent with the image."""
    max_chars = int(nanobanana_settings.DESCRIPTIONS.get("MAX_ALT_CHARS") or 150)
    return (
        "You write accessible image descriptions for a website. Describe the attached "
        f"image in these languages (codes): {', '.join(codes)}. Give a concise alt text "
        f"(at most {max_chars} characters, no 'image of'), a longer description, and the "
        "focal point of the main subject as x and y fractions of the width and height. "
        "The image was generated from this prompt (it may not match the image exactly):\n"
        f"Prompt: {prompt}"
    )


# -- requesting ---------------------------------------------------------------------------


def request_description(
    version: AssetVersion,
    *,
    user: Any = None,
    source: str = Source.API,
    client_ip: str | None = None,
    enqueue: bool = True,
) -> ImageDescription:
    """Reserve the estimate and queue a describe call for a finished version.

    Raises :class:`StateConflict` for an unfinished version, :class:`ConfigurationError`
    or :class:`RequestValidationError` for a bad text model, and
    :class:`~django_nanobanana.exceptions.BudgetExceeded` when a budget refuses the estimate:
    the refusal is stored (a ``refused`` description with the reason, an audit row) and
    the image is left unchanged.
    """
    user = real_user(user)
    if version.state != State.SUCCEEDED or not version.original:
        raise StateConflict(_("Only a finished image can be described."))
    model = get_text_model()
    provider_alias = (
        nanobanana_settings.DESCRIPTIONS.get("PROVIDER") or nanobanana_settings.DEFAULT_PROVIDER
    )
    provider = get_provider(provider_alias)
    codes = languages()
    level = nanobanana_settings.DESCRIPTIONS.get("THINKING_LEVEL") or None
    estimate = model.estimate_cost(
        prompt_chars=len(instruction(version.prompt, codes)),
        languages=len(codes),
        thinking=bool(level),
    )
    row = {
        "version": version,
        "source": source,
        "provider": provider.alias,
        "model": model.id,
        "languages": codes,
        "estimated_cost": estimate,
        "requested_by": user,
    }
    audit = {
        "user": user,
        "source": source,
        "prompt": version.prompt,
        "model": model.id,
        "provider": provider.alias,
        "params": {"kind": "describe", "version": str(version.pk), "languages": codes},
        "ip": client_ip,
    }
    description = ImageDescription(**row)
    try:
        with transaction.atomic():
            description.save()
            reserve_budget(
                version_id=description.pk,
                user=user,
                amount=estimate,
                images=0,
                source=source,
                model=model.id,
                asset_id=version.asset_id,
            )
            ledger.record_request(
                **audit,
                version_id=description.pk,
                asset_id=version.asset_id,
                estimated_cost=estimate,
            )
            if enqueue:
                queue.enqueue_on_commit(queue.RUN_DESCRIPTION, description.pk)
    except BudgetExceeded as exc:
        description = ImageDescription.objects.create(
            **row,
            state=DescriptionState.REFUSED,
            error_code="BUDGET",
            error=exc.message,
            finished_at=timezone.now(),
            cost=Decimal(0),
        )
        ledger.record_request(**audit, outcome=Outcome.REFUSED, reason=exc.message)
        exc.description = description  # type: ignore[attr-defined]
        raise
    return description


def describe_after_generation(version_id: Any) -> ImageDescription | None:
    """Called when a generation finished: queue its description if ``AUTO`` is on. Never
    raises (a refusal or a misconfiguration is logged and stored, the image stays)."""
    if not nanobanana_settings.DESCRIPTIONS.get("AUTO"):
        return None
    version = AssetVersion.objects.filter(pk=version_id).select_related("asset").first()
    if version is None or version.state != State.SUCCEEDED:
        return None
    if (
        version.reused_from_id
        and ImageDescription.objects.filter(
            version_id=version.reused_from_id, state=DescriptionState.SUCCEEDED
        ).exists()
    ):
        return copy_description(version)
    try:
        return request_description(version, user=version.created_by, source=version.source)
    except BudgetExceeded as exc:
        logger.info("version %s: description refused: %s", version.pk, exc.message)
        return getattr(exc, "description", None)
    except (ConfigurationError, RequestValidationError, StateConflict) as exc:
        logger.warning("version %s: cannot be described: %s", version.pk, exc)
        return None


def copy_description(version: AssetVersion) -> ImageDescription | None:
    """A cached image's description, copied at no cost (same pixels, same prompt)."""
    source = ImageDescription.objects.filter(
        version_id=version.reused_from_id, state=DescriptionState.SUCCEEDED
    ).first()
    if source is None:
        return None
    return ImageDescription.objects.create(
        version=version,
        source=version.source,
        provider=source.provider,
        model=source.model,
        languages=source.languages,
        state=DescriptionState.SUCCEEDED,
        alt_text=source.alt_text,
        description=source.description,
        focal_point_x=source.focal_point_x,
        focal_point_y=source.focal_point_y,
        estimated_cost=Decimal(0),
        cost=Decimal(0),
        finished_at=timezone.now(),
    )


# -- reviewing ----------------------------------------------------------------------------


def latest_description(version: AssetVersion | None) -> ImageDescription | None:
    """The version's newest description (any state), or None."""
    if version is None:
        return None
    return version.descriptions.order_by("-created_at").first()


def accept_description(
    description: ImageDescription,
    *,
    user: Any = None,
    alt_text: Mapping[str, str] | str | None = None,
    focal_point: tuple[float, float] | None = None,
    use_focal_point: bool = True,
) -> GeneratedAsset:
    """Make a suggestion (edited or not) the image's reviewed alt text and focal point.

    ``alt_text``: the editor's text for the first language, or ``{language: text}``
    (missing languages keep the suggestion). ``focal_point``: the editor's point, else the
    suggestion's (when ``use_focal_point``).
    """
    if description.state != DescriptionState.SUCCEEDED:
        raise StateConflict(_("Only a finished description can be accepted."))
    codes = list(description.languages) or languages()
    texts = dict(description.alt_text or {})
    if isinstance(alt_text, str):
        texts[codes[0]] = alt_text
    elif alt_text:
        texts.update({k: str(v) for k, v in alt_text.items()})
    errors = {
        f"alt_text.{k}": [_("At most 500 characters.")] for k, v in texts.items() if len(v) > 500
    }
    if errors:
        raise RequestValidationError(errors)
    asset = description.version.asset
    primary = codes[0]
    point = focal_point
    if point is None and use_focal_point and description.focal_point_x is not None:
        point = (description.focal_point_x, description.focal_point_y)
    with transaction.atomic():
        asset.alt_text = texts.get(primary, asset.alt_text)
        asset.alt_texts = {k: v for k, v in texts.items() if k != primary}
        changed_focus = False
        if point is not None:
            x, y = validate_focal_point(*point)
            changed_focus = (asset.focal_point_x, asset.focal_point_y) != (x, y)
            asset.focal_point_x, asset.focal_point_y = x, y
        asset.save(
            update_fields=["alt_text", "alt_texts", "focal_point_x", "focal_point_y", "updated_at"]
        )
        ImageDescription.objects.filter(pk=description.pk).update(
            review=Review.ACCEPTED,
            reviewed_by=real_user(user),
            reviewed_at=timezone.now(),
            alt_text=texts,
        )
        description.refresh_from_db()
        if changed_focus:
            focal_point_changed(asset)
    return asset


def reject_description(description: ImageDescription, *, user: Any = None) -> None:
    ImageDescription.objects.filter(pk=description.pk).update(
        review=Review.REJECTED, reviewed_by=real_user(user), reviewed_at=timezone.now()
    )
    description.refresh_from_db()


def set_focal_point(
    asset: GeneratedAsset, point: tuple[float, float] | None, *, user: Any = None
) -> GeneratedAsset:
    """An editor sets (or clears) the focal point; crops are re-rendered around it at no
    provider cost."""
    x, y = validate_focal_point(*point) if point is not None else (None, None)
    if (asset.focal_point_x, asset.focal_point_y) == (x, y):
        return asset
    with transaction.atomic():
        asset.focal_point_x, asset.focal_point_y = x, y
        asset.save(update_fields=["focal_point_x", "focal_point_y", "updated_at"])
        focal_point_changed(asset)
    return asset


def validate_focal_point(x: Any, y: Any) -> tuple[float, float]:
    """Both fractions in [0, 1], or a :class:`RequestValidationError`."""
    errors: dict[str, list[str]] = {}
    values = []
    for name, value in (("focal_point_x", x), ("focal_point_y", y)):
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = -1.0
        if not 0.0 <= number <= 1.0:
            errors[name] = [_("A fraction between 0 and 1.")]
        values.append(number)
    if errors:
        raise RequestValidationError(errors)
    return values[0], values[1]


# -- what pages use -----------------------------------------------------------------------


def alt_text_for(asset: GeneratedAsset, language: str | None = None) -> str:
    """The alt text a page shows: the reviewed one (in ``language``, default the active
    language), else the current version's suggestion when ``USE_UNREVIEWED`` allows,
    else ``""``."""
    language = (language or translation.get_language() or primary_language()).lower()
    codes = languages()
    short = language.split("-")[0]
    if language in (asset.alt_texts or {}) or short in (asset.alt_texts or {}):
        return asset.alt_texts.get(language) or asset.alt_texts[short]
    is_primary = language == codes[0] or short == codes[0].split("-")[0]
    if asset.alt_text and (is_primary or not asset.alt_texts):
        return asset.alt_text
    if not nanobanana_settings.DESCRIPTIONS.get("USE_UNREVIEWED"):
        return asset.alt_text or ""
    description = None
    if asset.current_version_id:
        description = (
            ImageDescription.objects.filter(
                version_id=asset.current_version_id,
                state=DescriptionState.SUCCEEDED,
            )
            .exclude(review=Review.REJECTED)
            .order_by("-created_at")
            .first()
        )
    if description is None:
        return asset.alt_text or ""
    texts = description.alt_text or {}
    return texts.get(language) or texts.get(short) or asset.alt_text or texts.get(codes[0]) or ""
