"""Capabilities and prices of the image models, in one table that settings can override.

Every request is checked against this registry before anything is spent, and every cost
is computed from it. Sources: Google's published model pages and price list, as summarised
in the project's Gemini reference; the date the prices were taken is kept with them.

Override or extend from settings (``NANOBANANA["MODELS"]``), by model id. An entry may
name ``BASED_ON`` to copy a built-in model (useful when a preview id moves)::

    NANOBANANA = {"MODELS": {
        "gemini-3.1-flash-image": {"BASED_ON": "gemini-3.1-flash-image-preview"},
        "gemini-3-pro-image-preview": {"PRICES": {"OUTPUT_IMAGE": "100.00"}},
    }}
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from ..conf import nanobanana_settings
from ..exceptions import RequestValidationError

MILLION = Decimal(1_000_000)
MONEY_QUANT = Decimal("0.000001")

# 1K pixel sizes by aspect ratio; 512 halves them, 2K doubles, 4K quadruples.
GEMINI_25_DIMENSIONS = {
    "1:1": (1024, 1024), "2:3": (832, 1248), "3:2": (1248, 832), "3:4": (864, 1184),
    "4:3": (1184, 864), "4:5": (896, 1152), "5:4": (1152, 896), "9:16": (768, 1344),
    "16:9": (1344, 768), "21:9": (1536, 672),
}
GEMINI_3_DIMENSIONS = {
    "1:1": (1024, 1024), "2:3": (848, 1264), "3:2": (1264, 848), "3:4": (896, 1200),
    "4:3": (1200, 896), "4:5": (928, 1152), "5:4": (1152, 928), "9:16": (768, 1376),
    "16:9": (1376, 768), "21:9": (1584, 672),
    "1:4": (512, 2048), "4:1": (2048, 512), "1:8": (368, 2944), "8:1": (2944, 368),
}
SIZE_FACTORS = {"512": 0.5, "1K": 1, "2K": 2, "4K": 4}
TEN_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")


@dataclass(frozen=True)
class Prices:
    """USD per million tokens, by direction and modality."""

    input_text: Decimal
    input_image: Decimal
    output_text: Decimal
    output_image: Decimal
    taken_on: dt.date
    batch_discount: Decimal = Decimal("0.5")


@dataclass(frozen=True)
class ModelCapabilities:
    id: str
    name: str
    aspect_ratios: tuple[str, ...]
    image_sizes: tuple[str, ...]  # empty: the model has one fixed size
    default_image_size: str | None
    max_reference_images: int
    #: Largest reference sent inline (base64 in the JSON); larger ones go through the
    #: Files API where the provider has one, and are refused where it has not.
    max_inline_bytes: int
    output_image_tokens: Mapping[str, int]  # by image size ("1K" for fixed-size models)
    input_image_tokens: int
    prices: Prices
    dimensions_1k: Mapping[str, tuple[int, int]]
    thinking_levels: tuple[str, ...] = ()
    #: 3.x image models always think (billed as output text), whether or not a level is set
    thinks: bool = False
    supports_seed: bool = True
    #: Largest reference image accepted at all (through the Files API); the same 20 MB
    #: the REST API accepts per upload, so every edge applies one limit.
    max_reference_bytes: int = 20 * 1024 * 1024
    #: Inline data of one request together (Google: 20 MB per request, JSON included).
    max_inline_total_bytes: int = 18 * 1024 * 1024
    extra: Mapping[str, Any] = field(default_factory=dict)

    # -- sizes -------------------------------------------------------------------------
    def effective_size(self, image_size: str | None) -> str:
        if not self.image_sizes:
            return "1K"
        return image_size or self.default_image_size or self.image_sizes[0]

    def dimensions(self, aspect_ratio: str | None, image_size: str | None) -> tuple[int, int]:
        """Pixel size of the output for a ratio and size (1:1 when no ratio is given)."""
        width, height = self.dimensions_1k[aspect_ratio or "1:1"]
        factor = SIZE_FACTORS[self.effective_size(image_size)]
        return int(width * factor), int(height * factor)

    # -- money -------------------------------------------------------------------------
    def image_cost(self, image_size: str | None = None) -> Decimal:
        tokens = self.output_image_tokens[self.effective_size(image_size)]
        return _money(tokens * self.prices.output_image / MILLION)

    def estimate_cost(
        self, *, image_size: str | None, prompt_chars: int = 0, reference_count: int = 0
    ) -> Decimal:
        """An upper-leaning estimate used for budget reservation before the call."""
        text_tokens = Decimal(prompt_chars // 3 + 64)
        thought_tokens = Decimal(512 if self.thinks else 0)
        cost = (
            text_tokens * self.prices.input_text
            + Decimal(reference_count * self.input_image_tokens) * self.prices.input_image
            + thought_tokens * self.prices.output_text
        ) / MILLION
        return _money(cost + self.image_cost(image_size))

    def cost_from_usage(self, usage: Any, *, batch: bool = False) -> Decimal:
        """Exact cost from a parsed :class:`~django_nanobanana.providers.base.Usage`."""
        p = self.prices
        cost = (
            Decimal(usage.prompt_text_tokens) * p.input_text
            + Decimal(usage.prompt_image_tokens) * p.input_image
            + Decimal(usage.output_text_tokens + usage.thoughts_tokens) * p.output_text
            + Decimal(usage.output_image_tokens) * p.output_image
        ) / MILLION
        if batch:
            cost *= p.batch_discount
        return _money(cost)

    # -- validation --------------------------------------------------------------------
    def validate(
        self,
        *,
        aspect_ratio: str | None = None,
        image_size: str | None = None,
        reference_count: int = 0,
        reference_sizes: tuple[int, ...] = (),
        can_upload: bool = True,
        prompt: str | None = None,
        thinking_level: str | None = None,
    ) -> None:
        """Raise :class:`RequestValidationError` naming every bad field and its allowed values."""
        errors: dict[str, list[str]] = {}
        if aspect_ratio and aspect_ratio not in self.aspect_ratios:
            errors.setdefault("aspect_ratio", []).append(
                _("%(model)s does not support aspect ratio %(value)s; allowed: %(allowed)s.")
                % {"model": self.id, "value": aspect_ratio,
                   "allowed": ", ".join(self.aspect_ratios)}
            )
        if image_size:
            if not self.image_sizes:
                errors.setdefault("image_size", []).append(
                    _("%(model)s has a fixed output size; leave the image size empty.")
                    % {"model": self.id}
                )
            elif image_size not in self.image_sizes:
                errors.setdefault("image_size", []).append(
                    _("%(model)s does not support image size %(value)s; allowed: %(allowed)s.")
                    % {"model": self.id, "value": image_size,
                       "allowed": ", ".join(self.image_sizes)}
                )
        if reference_count > self.max_reference_images:
            errors.setdefault("references", []).append(
                _("%(model)s accepts at most %(max)d reference images; %(count)d given.")
                % {"model": self.id, "max": self.max_reference_images, "count": reference_count}
            )
        for index, size in enumerate(reference_sizes, start=1):
            limit = self.max_reference_bytes if can_upload else self.max_inline_bytes
            if size > limit:
                errors.setdefault("references", []).append(
                    _("Reference image %(index)d is %(size)s; %(model)s through this provider "
                      "accepts at most %(limit)s per image.")
                    % {"index": index, "size": _mb(size), "model": self.id, "limit": _mb(limit)}
                )
            elif size == 0:
                errors.setdefault("references", []).append(
                    _("Reference image %(index)d is empty.") % {"index": index}
                )
        if not can_upload and sum(reference_sizes) > self.max_inline_total_bytes:
            errors.setdefault("references", []).append(
                _("The reference images total %(size)s; this provider takes at most %(limit)s "
                  "of images per request.")
                % {"size": _mb(sum(reference_sizes)), "limit": _mb(self.max_inline_total_bytes)}
            )
        if thinking_level and thinking_level not in self.thinking_levels:
            allowed = ", ".join(self.thinking_levels) or _("none")
            errors.setdefault("thinking_level", []).append(
                _("%(model)s does not support thinking level %(value)s; allowed: %(allowed)s.")
                % {"model": self.id, "value": thinking_level, "allowed": allowed}
            )
        if prompt is not None:
            limit = nanobanana_settings.MAX_PROMPT_LENGTH
            if not prompt.strip():
                errors.setdefault("prompt", []).append(_("The prompt is empty."))
            elif len(prompt) > limit:
                errors.setdefault("prompt", []).append(
                    _("The prompt is %(length)d characters long; the limit is %(limit)d.")
                    % {"length": len(prompt), "limit": limit}
                )
        if errors:
            raise RequestValidationError(errors)


def _mb(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _money(value: Decimal) -> Decimal:
    return value.quantize(MONEY_QUANT)


_PRICES_TAKEN = dt.date(2026, 11, 1)

BUILTIN_MODELS: dict[str, ModelCapabilities] = {
    m.id: m
    for m in (
        ModelCapabilities(
            id="gemini-2.5-flash-image",
            name="Nano Banana",
            aspect_ratios=TEN_RATIOS,
            image_sizes=(),
            default_image_size=None,
            max_reference_images=3,
            max_inline_bytes=7 * 1024 * 1024,
            output_image_tokens={"1K": 1290},
            input_image_tokens=258,
            prices=Prices(
                input_text=Decimal("0.30"), input_image=Decimal("0.30"),
                output_text=Decimal("2.50"), output_image=Decimal("30"), taken_on=_PRICES_TAKEN,
            ),
            dimensions_1k=GEMINI_25_DIMENSIONS,
        ),
        ModelCapabilities(
            id="gemini-3.1-flash-image-preview",
            name="Nano Banana 2",
            aspect_ratios=(*TEN_RATIOS, "1:4", "4:1", "1:8", "8:1"),
            image_sizes=("512", "1K", "2K", "4K"),
            default_image_size="1K",
            max_reference_images=14,
            max_inline_bytes=7 * 1024 * 1024,
            output_image_tokens={"512": 747, "1K": 1120, "2K": 1680, "4K": 2520},
            input_image_tokens=560,
            prices=Prices(
                input_text=Decimal("0.50"), input_image=Decimal("0.50"),
                output_text=Decimal("3.00"), output_image=Decimal("60"), taken_on=_PRICES_TAKEN,
            ),
            dimensions_1k=GEMINI_3_DIMENSIONS,
            thinking_levels=("minimal", "high"),
            thinks=True,
        ),
        ModelCapabilities(
            id="gemini-3-pro-image-preview",
            name="Nano Banana Pro",
            aspect_ratios=TEN_RATIOS,
            image_sizes=("1K", "2K", "4K"),
            default_image_size="1K",
            max_reference_images=14,
            max_inline_bytes=7 * 1024 * 1024,
            output_image_tokens={"1K": 1120, "2K": 1120, "4K": 2000},
            input_image_tokens=560,
            prices=Prices(
                input_text=Decimal("2.00"), input_image=Decimal("2.00"),
                output_text=Decimal("12.00"), output_image=Decimal("120"), taken_on=_PRICES_TAKEN,
            ),
            dimensions_1k=GEMINI_3_DIMENSIONS,
            thinking_levels=(),
            thinks=True,
        ),
    )
}

_FIELD_NAMES = {f.name for f in dataclasses.fields(ModelCapabilities)}
_PRICE_NAMES = {f.name for f in dataclasses.fields(Prices)}


def _apply_override(base: ModelCapabilities | None, model_id: str, data: Mapping[str, Any]):
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
                elif pname != "taken_on":
                    pvalue = Decimal(str(pvalue))
                current[pname] = pvalue
            values["prices"] = Prices(**current)
        elif name in _FIELD_NAMES:
            if isinstance(value, list):
                value = tuple(value)
            if name == "dimensions_1k":
                value = {k: tuple(v) for k, v in value.items()}
            values[name] = value
        else:
            raise ValueError(f"unknown capability {key!r} for model {model_id}")
    return ModelCapabilities(**values)


def get_registry() -> dict[str, ModelCapabilities]:
    """Built-in models with the ``NANOBANANA["MODELS"]`` overrides applied."""
    registry = dict(BUILTIN_MODELS)
    for model_id, data in (nanobanana_settings.MODELS or {}).items():
        base_id = data.get("BASED_ON") or data.get("based_on")
        base = registry.get(base_id) if base_id else registry.get(model_id)
        if base_id and base is None:
            raise ValueError(f"model {model_id} is based on unknown model {base_id}")
        registry[model_id] = _apply_override(base, model_id, data)
    return registry


def get_model(model_id: str | None = None) -> ModelCapabilities:
    """Capabilities of one model (the default model when none is named)."""
    model_id = model_id or nanobanana_settings.DEFAULT_MODEL
    registry = get_registry()
    try:
        return registry[model_id]
    except KeyError:
        raise RequestValidationError(
            {"model": [
                _("Unknown model %(value)s; known models: %(allowed)s.")
                % {"value": model_id, "allowed": ", ".join(sorted(registry))}
            ]}
        ) from None
