"""The capabilities registry: today's lineup (:mod:`.lineup`) with the site's overrides.

Override or extend from settings (``NANOBANANA["MODELS"]``), by model id. An entry may
name ``BASED_ON`` to copy a known model (useful when Google ships a new id before a
release of this package knows it)::

    NANOBANANA = {"MODELS": {
        "gemini-nano-banana-2.2": {"BASED_ON": "gemini-nano-banana-2.1",
                                   "NAME": "Nano Banana 2.2", "RELEASED": "2027-02-01"},
        "gemini-3-pro-image": {"PRICES": {"OUTPUT_IMAGE": "100.00", "TAKEN_ON": "2027-01-05"}},
        "gemini-3.1-flash-image": {"STAGE": "retired"},   # Google shut it down
    }}

Retired ids stay known (stored versions name them) but never reach a provider:
:func:`resolve_model` maps them to their replacement.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from ..conf import nanobanana_settings
from ..exceptions import RequestValidationError
from .capabilities import (
    GROUNDING_KINDS,
    MILLION,
    SIZE_FACTORS,
    STAGES,
    ModelCapabilities,
    Prices,
    TextModel,
    grounding_kinds,
)
from .lineup import LINEUP, TEXT_LINEUP

__all__ = [
    "BUILTIN_MODELS",
    "GROUNDING_KINDS",
    "MILLION",
    "SIZE_FACTORS",
    "STAGES",
    "ModelCapabilities",
    "Prices",
    "TextModel",
    "get_model",
    "get_registry",
    "get_text_model",
    "grounding_kinds",
    "replacement_for",
    "resolve_model",
    "text_registry",
]

BUILTIN_MODELS: dict[str, ModelCapabilities] = {m.id: m for m in LINEUP}

_FIELD_NAMES = {f.name for f in dataclasses.fields(ModelCapabilities)}
_PRICE_NAMES = {f.name for f in dataclasses.fields(Prices)}
_DATE_FIELDS = {"released", "deprecated_on", "shutdown"}


def _apply_override(
    base: ModelCapabilities | None, model_id: str, data: Mapping[str, Any]
) -> ModelCapabilities:
    values: dict[str, Any] = dataclasses.asdict(base) if base else {}
    if base:
        values["prices"] = base.prices
    values["id"] = model_id
    for key, value in data.items():
        name = key.lower()
        if name == "based_on":
            continue
        if name == "prices":
            current = dataclasses.asdict(values["prices"]) if "prices" in values else {}
            for pkey, pvalue in value.items():
                pname = pkey.lower()
                if pname not in _PRICE_NAMES:
                    raise ValueError(f"unknown price field {pkey!r} for model {model_id}")
                if pname == "taken_on" and isinstance(pvalue, str):
                    pvalue = dt.date.fromisoformat(pvalue)
                elif pname not in ("taken_on", "source"):
                    pvalue = Decimal(str(pvalue))
                current[pname] = pvalue
            values["prices"] = Prices(**current)
        elif name in _FIELD_NAMES:
            if isinstance(value, list):
                value = tuple(value)
            if name == "dimensions_1k":
                value = {k: tuple(v) for k, v in value.items()}
            if name in _DATE_FIELDS and isinstance(value, str):
                value = dt.date.fromisoformat(value)
            if name == "stage" and value not in STAGES:
                raise ValueError(
                    f"unknown stage {value!r} for model {model_id}; stages: {', '.join(STAGES)}"
                )
            values[name] = value
        else:
            raise ValueError(f"unknown capability {key!r} for model {model_id}")
    return ModelCapabilities(**values)


def get_registry() -> dict[str, ModelCapabilities]:
    """Known models (retired ones included) with the ``NANOBANANA["MODELS"]`` overrides."""
    registry = dict(BUILTIN_MODELS)
    for model_id, data in (nanobanana_settings.MODELS or {}).items():
        base_id = data.get("BASED_ON") or data.get("based_on")
        base = registry.get(base_id) if base_id else registry.get(model_id)
        if base_id and base is None:
            raise ValueError(f"model {model_id} is based on unknown model {base_id}")
        registry[model_id] = _apply_override(base, model_id, data)
    for model in registry.values():
        if model.replacement and model.replacement not in registry:
            raise ValueError(f"model {model.id} names an unknown replacement {model.replacement}")
    return registry


def usable_models() -> list[ModelCapabilities]:
    """Models a request may name (everything but retired ones), current ones first."""
    order = {stage: i for i, stage in enumerate(("ga", "preview", "deprecated", "legacy"))}
    return sorted(
        (m for m in get_registry().values() if not m.is_retired),
        key=lambda m: order.get(m.stage, 9),
    )


def replacement_for(model_id: str) -> ModelCapabilities | None:
    """Where a retired (or going-away) model's users should go: its replacement, followed
    past replacements that are themselves retired or deprecated. None when it has none."""
    registry = get_registry()
    model = registry.get(model_id)
    seen = {model_id}
    target = None
    while model is not None and model.replacement and model.replacement not in seen:
        seen.add(model.replacement)
        target = registry.get(model.replacement)
        if target is None or not (target.is_retired or target.stage == "deprecated"):
            break
        model = target
    return target if target is not None and not target.is_retired else None


def resolve_model(model_id: str | None) -> tuple[ModelCapabilities, str | None]:
    """The model to call for a stored ``model_id``: itself, or for a retired id its
    replacement. Returns ``(capabilities, replaced_id)``, ``replaced_id`` being the retired
    id when a replacement was chosen (to be said to the editor and audited)."""
    model = get_model(model_id, allow_retired=True)
    if not model.is_retired:
        return model, None
    target = replacement_for(model.id)
    if target is None:
        raise RequestValidationError({"model": [model.lifecycle_notice() or ""]})
    return target, model.id


def get_model(model_id: str | None = None, *, allow_retired: bool = False) -> ModelCapabilities:
    """Capabilities of one model (the default model when none is named).

    A retired model is refused (naming its replacement) unless ``allow_retired``: stored
    versions may name one, for display and accounting, but no request may.
    """
    model_id = model_id or nanobanana_settings.DEFAULT_MODEL
    registry = get_registry()
    try:
        model = registry[model_id]
    except KeyError:
        raise RequestValidationError(
            {
                "model": [
                    _("Unknown model %(value)s; known models: %(allowed)s.")
                    % {"value": model_id, "allowed": ", ".join(m.id for m in usable_models())}
                ]
            }
        ) from None
    if model.is_retired and not allow_retired:
        target = replacement_for(model.id)
        raise RequestValidationError(
            {
                "model": [
                    _(
                        "%(model)s was retired by Google on %(date)s and can no longer be used; "
                        "use %(replacement)s instead."
                    )
                    % {
                        "model": model.id,
                        "date": model.shutdown.isoformat() if model.shutdown else "?",
                        "replacement": target.id if target else _("another model"),
                    }
                ]
            }
        )
    return model


#: ``modelStatus.modelStage`` values that mean "this model is going away or gone".
GOING_AWAY_STAGES = frozenset({"LEGACY", "DEPRECATED", "RETIRED"})


def model_warning(model_id: str, model_status: Mapping[str, Any] | None = None) -> str | None:
    """What to tell an editor about a version's model: the provider's own ``modelStatus``
    when it says the model is going away (with its retirement time), else the registry's
    lifecycle notice for deprecated, legacy or retired models; None when all is well."""
    registry = get_registry()
    model = registry.get(model_id)
    status = model_status or {}
    stage = str(status.get("modelStage") or "").upper()
    if stage in GOING_AWAY_STAGES or status.get("retirementTime"):
        target = replacement_for(model_id)
        when = str(status.get("retirementTime") or "")[:10]
        text = _("Google reports %(model)s as %(stage)s") % {
            "model": model_id,
            "stage": (stage or "deprecated").lower(),
        }
        if when:
            text = _("%(text)s, retiring on %(date)s") % {"text": text, "date": when}
        if target:
            text = _("%(text)s. Regenerate with %(replacement)s before then.") % {
                "text": text,
                "replacement": target.id,
            }
        return str(text)
    if model is not None and (model.is_retired or model.is_going_away):
        return model.lifecycle_notice()
    return None


BUILTIN_TEXT_MODELS: dict[str, TextModel] = {m.id: m for m in TEXT_LINEUP}


def text_registry() -> dict[str, TextModel]:
    """Known text models with the ``NANOBANANA["TEXT_MODELS"]`` overrides, by id. An entry
    may name ``BASED_ON`` (a known text model) and override ``NAME``, ``STAGE``,
    ``INPUT_IMAGE_TOKENS`` and ``PRICES`` (``INPUT``, ``OUTPUT``, ``TAKEN_ON``)."""
    registry = dict(BUILTIN_TEXT_MODELS)
    for model_id, data in (nanobanana_settings.TEXT_MODELS or {}).items():
        data = {str(k).upper(): v for k, v in data.items()}
        base = registry.get(data.pop("BASED_ON", None) or model_id)
        if base is None:
            raise ValueError(f"text model {model_id} is unknown: name BASED_ON")
        prices = base.prices
        price_data = {str(k).upper(): v for k, v in (data.pop("PRICES", None) or {}).items()}
        if price_data:
            values = dataclasses.asdict(prices)
            if "INPUT" in price_data:
                values["input_text"] = values["input_image"] = Decimal(str(price_data["INPUT"]))
            if "OUTPUT" in price_data:
                values["output_text"] = values["output_image"] = Decimal(str(price_data["OUTPUT"]))
            if "TAKEN_ON" in price_data:
                values["taken_on"] = dt.date.fromisoformat(str(price_data["TAKEN_ON"]))
            prices = Prices(**values)
        changes: dict[str, Any] = {"id": model_id, "prices": prices}
        for key, value in data.items():
            name = key.lower()
            if name not in ("name", "stage", "input_image_tokens", "thinking_levels"):
                raise ValueError(f"unknown field {key!r} for text model {model_id}")
            changes[name] = tuple(value) if isinstance(value, list) else value
        registry[model_id] = dataclasses.replace(base, **changes)
    return registry


def get_text_model(model_id: str | None = None) -> TextModel:
    """The text model that describes images (``DESCRIPTIONS["MODEL"]`` by default)."""
    model_id = model_id or nanobanana_settings.DESCRIPTIONS["MODEL"]
    registry = text_registry()
    model = registry.get(model_id)
    if model is None or model.is_retired:
        raise RequestValidationError(
            {
                "model": [
                    _("Unknown or retired text model %(value)s; known: %(allowed)s.")
                    % {
                        "value": model_id,
                        "allowed": ", ".join(m.id for m in registry.values() if not m.is_retired),
                    }
                ]
            }
        )
    return model


def describe_model(model: ModelCapabilities) -> dict[str, Any]:
    """One image model of the registry as plain data, the one description of a model:
    what ``GET models/`` answers (its serializer formats it) and what ``nanobanana_models``
    prints a part of. Dates stay dates; ``default`` says whether it is ``DEFAULT_MODEL``."""
    sizes = model.image_sizes or ("1K",)
    replacement = replacement_for(model.id)
    return {
        "id": model.id,
        "name": model.name,
        "default": model.id == nanobanana_settings.DEFAULT_MODEL,
        "aspect_ratios": list(model.aspect_ratios),
        "image_sizes": list(model.image_sizes),
        "default_image_size": model.default_image_size,
        "max_reference_images": model.max_reference_images,
        "max_reference_bytes": model.max_reference_bytes,
        "thinking_levels": list(model.thinking_levels),
        "default_thinking_level": model.default_thinking_level,
        "grounding": list(model.grounding),
        "stage": model.stage,
        "released": model.released,
        "shutdown": model.shutdown,
        "replacement": replacement.id if replacement is not None else None,
        "notice": model.lifecycle_notice(),
        "supports_seed": model.supports_seed,
        "prices": model.prices,
        "image_costs": {
            size: model.image_cost(size) for size in sizes if size in model.output_image_tokens
        },
        "dimensions": [
            {
                "aspect_ratio": ratio,
                "image_size": size,
                "width": model.dimensions(ratio, size)[0],
                "height": model.dimensions(ratio, size)[1],
            }
            for ratio in model.aspect_ratios
            if ratio in model.dimensions_1k
            for size in sizes
        ],
    }
