"""What one image model can do and what it costs: :class:`ModelCapabilities`.

The data (today's lineup, with dates and sources) is in :mod:`.lineup`; the registry that
applies the site's overrides is :mod:`.models_registry`. Every request is checked against
a model's capabilities before anything is spent, and every cost is computed from them.
"""

from __future__ import annotations

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

SIZE_FACTORS = {"512": 0.5, "1K": 1, "2K": 2, "4K": 4}
#: Input MIME types Google lists for the 3.x image models (AVIF is not among them:
#: such references are converted before sending).
GEMINI_3_INPUT_MIME_TYPES = ("image/png", "image/jpeg", "image/webp", "image/heic", "image/heif")
#: Lifecycle stages, in order. "deprecated" and "legacy" still answer (and warn);
#: "retired" answers 404 and is never sent.
STAGES = ("preview", "ga", "deprecated", "legacy", "retired")
GROUNDING_KINDS = ("web", "image")


@dataclass(frozen=True)
class Prices:
    """USD per million tokens, by direction and modality."""

    input_text: Decimal
    input_image: Decimal
    output_text: Decimal
    output_image: Decimal
    taken_on: dt.date
    batch_discount: Decimal = Decimal("0.5")
    #: USD per grounded prompt beyond the free monthly allowance (Gemini 3 models: 14 USD
    #: per 1,000, G; the allowance is the GROUNDING_FREE_PROMPTS_PER_MONTH setting).
    grounding_per_prompt: Decimal = Decimal("0.014")
    #: Where the figures come from and how sure they are (see :mod:`.lineup`).
    source: str = ""


@dataclass(frozen=True)
class ModelCapabilities:
    """One model: what it accepts, what it costs, and where it is in its lifecycle."""

    id: str
    name: str
    aspect_ratios: tuple[str, ...]
    image_sizes: tuple[str, ...]  # empty: the model has one fixed size
    default_image_size: str | None
    max_reference_images: int
    output_image_tokens: Mapping[str, int]  # by image size ("1K" for fixed-size models)
    input_image_tokens: int
    prices: Prices
    dimensions_1k: Mapping[str, tuple[int, int]]
    thinking_levels: tuple[str, ...] = ()
    #: The level the model uses when a request names none (None: no levels).
    default_thinking_level: str | None = None
    #: 3.x image models always think (billed as output text), whether or not a level is set
    thinks: bool = False
    supports_seed: bool = True
    #: Google Search grounding kinds the model takes ("web", "image"); empty: none.
    grounding: tuple[str, ...] = ()
    #: Reference image types the model takes; others are converted to PNG before sending.
    input_mime_types: tuple[str, ...] = GEMINI_3_INPUT_MIME_TYPES
    #: Largest reference image accepted at all (through the Files API where the provider
    #: has one); the same 20 MB the REST API accepts per upload, so every edge applies one
    #: limit. Inline limits belong to the provider (:class:`~.base.Provider`).
    max_reference_bytes: int = 20 * 1024 * 1024
    # -- lifecycle (see STAGES) --
    stage: str = "ga"
    released: dt.date | None = None
    deprecated_on: dt.date | None = None
    #: When Google shuts (or shut) the id down; None when not announced.
    shutdown: dt.date | None = None
    #: False when the shutdown date comes from third parties only.
    shutdown_confirmed: bool = True
    #: The id to move to when this one goes away.
    replacement: str | None = None
    #: Where the facts come from and how sure they are.
    source: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    # -- lifecycle ---------------------------------------------------------------------
    @property
    def is_retired(self) -> bool:
        return self.stage == "retired"

    @property
    def is_going_away(self) -> bool:
        """Deprecated or legacy: it still answers, but a move should be planned."""
        return self.stage in ("deprecated", "legacy")

    def lifecycle_notice(self) -> str | None:
        """A sentence for editors and logs when the model is retired or going away."""
        if self.is_retired:
            return str(
                _("%(model)s was retired by Google on %(date)s; use %(replacement)s.")
                % {
                    "model": self.id,
                    "date": _date(self.shutdown),
                    "replacement": self.replacement or _("another model"),
                }
            )
        if self.is_going_away:
            if self.shutdown:
                when = (
                    _("shuts down on %(date)s")
                    if self.shutdown_confirmed
                    else _("is reported to shut down on %(date)s")
                ) % {"date": _date(self.shutdown)}
            else:
                when = _("has no announced shutdown date")
            return str(
                _("%(model)s is %(stage)s and %(when)s; move to %(replacement)s.")
                % {
                    "model": self.id,
                    "stage": self.stage,
                    "when": when,
                    "replacement": self.replacement or _("another model"),
                }
            )
        return None

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
        self,
        *,
        image_size: str | None,
        prompt_chars: int = 0,
        reference_count: int = 0,
        grounded: bool = False,
    ) -> Decimal:
        """An upper-leaning estimate used for budget reservation before the call (a grounded
        request is estimated at the grounding price, free allowance or not)."""
        text_tokens = Decimal(prompt_chars // 3 + 64)
        thought_tokens = Decimal(512 if self.thinks else 0)
        cost = (
            text_tokens * self.prices.input_text
            + Decimal(reference_count * self.input_image_tokens) * self.prices.input_image
            + thought_tokens * self.prices.output_text
        ) / MILLION
        if grounded:
            cost += self.prices.grounding_per_prompt
        return _money(cost + self.image_cost(image_size))

    def cost_from_usage(
        self, usage: Any, *, batch: bool = False, free_grounding: bool = False
    ) -> Decimal:
        """Exact cost from a parsed :class:`~django_nanobanana.providers.base.Usage`, with
        the grounding price for each grounded prompt unless it is within the free monthly
        allowance (``free_grounding``)."""
        p = self.prices
        cost = (
            Decimal(usage.prompt_text_tokens) * p.input_text
            + Decimal(usage.prompt_image_tokens) * p.input_image
            + Decimal(usage.output_text_tokens + usage.thoughts_tokens) * p.output_text
            + Decimal(usage.output_image_tokens) * p.output_image
        ) / MILLION
        if batch:
            cost *= p.batch_discount
        grounded = int(getattr(usage, "grounded_prompts", 0) or 0)
        if grounded and not free_grounding:
            cost += grounded * p.grounding_per_prompt
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
        inline_image_limit: int | None = None,
        inline_total_limit: int | None = None,
        accepts_references: bool = True,
        prompt: str | None = None,
        thinking_level: str | None = None,
        grounding: str | None = None,
    ) -> None:
        """Raise :class:`RequestValidationError` naming every bad field and its allowed values."""
        errors: dict[str, list[str]] = {}
        if aspect_ratio and aspect_ratio not in self.aspect_ratios:
            errors.setdefault("aspect_ratio", []).append(
                _("%(model)s does not support aspect ratio %(value)s; allowed: %(allowed)s.")
                % {
                    "model": self.id,
                    "value": aspect_ratio,
                    "allowed": ", ".join(self.aspect_ratios),
                }
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
                    % {
                        "model": self.id,
                        "value": image_size,
                        "allowed": ", ".join(self.image_sizes),
                    }
                )
        if reference_count and not accepts_references:
            errors.setdefault("references", []).append(
                _(
                    "This provider takes no reference images (and cannot edit images); use a "
                    "Gemini or Vertex AI provider."
                )
            )
        elif reference_count > self.max_reference_images:
            errors.setdefault("references", []).append(
                _("%(model)s accepts at most %(max)d reference images; %(count)d given.")
                % {"model": self.id, "max": self.max_reference_images, "count": reference_count}
            )
        for index, size in enumerate(reference_sizes, start=1):
            limit = self.max_reference_bytes
            if not can_upload and inline_image_limit is not None:
                limit = min(limit, inline_image_limit)
            if size > limit:
                errors.setdefault("references", []).append(
                    _(
                        "Reference image %(index)d is %(size)s; %(model)s through this provider "
                        "accepts at most %(limit)s per image."
                    )
                    % {"index": index, "size": _mb(size), "model": self.id, "limit": _mb(limit)}
                )
            elif size == 0:
                errors.setdefault("references", []).append(
                    _("Reference image %(index)d is empty.") % {"index": index}
                )
        if (
            not can_upload
            and inline_total_limit is not None
            and sum(reference_sizes) > inline_total_limit
        ):
            errors.setdefault("references", []).append(
                _(
                    "The reference images total %(size)s; this provider takes at most %(limit)s "
                    "of images per request."
                )
                % {"size": _mb(sum(reference_sizes)), "limit": _mb(inline_total_limit)}
            )
        if grounding:
            kinds = grounding_kinds(grounding)
            if kinds is None:
                errors.setdefault("grounding", []).append(
                    _("Unknown grounding %(value)s; allowed: web, web+image.")
                    % {"value": grounding}
                )
            elif not set(kinds) <= set(self.grounding):
                allowed = "+".join(self.grounding) if self.grounding else _("none")
                errors.setdefault("grounding", []).append(
                    _(
                        "%(model)s does not support %(value)s search grounding; it takes: "
                        "%(allowed)s."
                    )
                    % {"model": self.id, "value": grounding, "allowed": allowed}
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


def grounding_kinds(value: str | None) -> tuple[str, ...] | None:
    """``"web"`` -> ("web",), ``"web+image"`` -> ("web", "image"); "" -> (); bad -> None."""
    if not value:
        return ()
    kinds = tuple(part.strip().lower() for part in value.replace(",", "+").split("+"))
    if (
        "web" not in kinds
        or not set(kinds) <= set(GROUNDING_KINDS)
        or len(set(kinds)) != len(kinds)
    ):
        return None
    return tuple(k for k in GROUNDING_KINDS if k in kinds)


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else "?"


def _mb(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _money(value: Decimal) -> Decimal:
    return value.quantize(MONEY_QUANT)


@dataclass(frozen=True)
class TextModel:
    """A text model used to describe images (alt text, description, focal point).

    Same ``generateContent`` endpoint and usage fields as the image models, no image out:
    input tokens (text and image alike) at ``prices.input_text``, output and thinking at
    ``prices.output_text``.
    """

    id: str
    name: str
    prices: Prices
    #: Tokens one input image is billed as (an upper-leaning figure for the estimate).
    input_image_tokens: int = 1120
    #: Output tokens the estimate allows per language (alt text + description as JSON).
    output_tokens_per_language: int = 400
    thinking_levels: tuple[str, ...] = ()
    input_mime_types: tuple[str, ...] = GEMINI_3_INPUT_MIME_TYPES
    stage: str = "ga"
    released: dt.date | None = None
    #: Earliest shutdown Google announced.
    shutdown: dt.date | None = None
    source: str = ""

    kind = "text"

    @property
    def is_retired(self) -> bool:
        return self.stage == "retired"

    def estimate_cost(
        self, *, prompt_chars: int, languages: int = 1, thinking: bool = False
    ) -> Decimal:
        """An upper-leaning estimate for one describe call (reserved before it runs)."""
        text_in = Decimal(prompt_chars // 3 + 64 + self.input_image_tokens)
        text_out = Decimal(
            self.output_tokens_per_language * max(1, languages) + 64 + (512 if thinking else 0)
        )
        return _money(
            (text_in * self.prices.input_text + text_out * self.prices.output_text) / MILLION
        )

    def cost_from_usage(
        self, usage: Any, *, batch: bool = False, free_grounding: bool = False
    ) -> Decimal:
        p = self.prices
        cost = (
            Decimal(usage.prompt_text_tokens) * p.input_text
            + Decimal(usage.prompt_image_tokens) * p.input_image
            + Decimal(usage.output_text_tokens + usage.thoughts_tokens + usage.output_image_tokens)
            * p.output_text
        ) / MILLION
        if batch:
            cost *= p.batch_discount
        return _money(cost)
