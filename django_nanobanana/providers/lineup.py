"""Google's image models as data with dates: capabilities, prices and lifecycle.

This is the one file to edit when Google changes its lineup (every few months). Nothing
in a code path names a model id; everything reads this table through
:func:`~django_nanobanana.providers.models_registry.get_registry`, and sites override or
extend it with ``NANOBANANA["MODELS"]`` without waiting for a release.

Taken on 2026-11-30 from the project's reference ``gemini-models-2026-11.md``, which cites
Google's deprecations page and changelog (entries 2026-01-08, 05-28, 06-30, 09-18, 10-06),
the image-generation guide, the Vertex AI model pages, ``google/genai/types.py`` of the
official SDK and public ``models.list`` dumps; for Nano Banana 2.1, several gateways'
published model tables. Confidence is noted per entry: **G** Google's own page or SDK,
**Txn** n independent third parties agree, **T1** one source. Figures marked T or
"implied" are the best available offline: compare the booked cost with ``usageMetadata``
on real traffic (``nanobanana_usage``) and override prices in settings when they differ.

Where sources conflict, the table takes the narrower claim (refusing a ratio at the edge
is cheaper than a 400 from Google after the budget was reserved).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from .capabilities import (
    GEMINI_3_INPUT_MIME_TYPES,
    ModelCapabilities,
    Prices,
    TextModel,
)

TEN_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
FOURTEEN_RATIOS = (*TEN_RATIOS, "1:4", "4:1", "1:8", "8:1")

#: 1K pixel sizes by aspect ratio (Google's table, shared by 3 Pro and 3.1 Flash; 2.1
#: matches at the cells checked, Tx2). 512 halves them, 2K doubles, 4K quadruples.
GEMINI_3_DIMENSIONS = {
    "1:1": (1024, 1024),
    "2:3": (848, 1264),
    "3:2": (1264, 848),
    "3:4": (896, 1200),
    "4:3": (1200, 896),
    "4:5": (928, 1152),
    "5:4": (1152, 928),
    "9:16": (768, 1376),
    "16:9": (1376, 768),
    "21:9": (1584, 672),
    "1:4": (512, 2048),
    "4:1": (2048, 512),
    "1:8": (368, 2944),
    "8:1": (2944, 368),
}
#: Nano Banana (2.5) has one fixed size of about one megapixel per ratio.
GEMINI_25_DIMENSIONS = {
    "1:1": (1024, 1024),
    "2:3": (832, 1248),
    "3:2": (1248, 832),
    "3:4": (864, 1184),
    "4:3": (1184, 864),
    "4:5": (896, 1152),
    "5:4": (1152, 896),
    "9:16": (768, 1344),
    "16:9": (1344, 768),
    "21:9": (1536, 672),
}

PRICES_TAKEN = dt.date(2026, 11, 30)
MB = 1024 * 1024


def _prices(input_: str, output_text: str, output_image: str, source: str) -> Prices:
    return Prices(
        input_text=Decimal(input_),
        input_image=Decimal(input_),
        output_text=Decimal(output_text),
        output_image=Decimal(output_image),
        taken_on=PRICES_TAKEN,
        source=source,
    )


_CURRENT: tuple[ModelCapabilities, ...] = (
    ModelCapabilities(
        id="gemini-nano-banana-2.1",
        name="Nano Banana 2.1",
        stage="ga",
        released=dt.date(2026, 10, 6),
        aspect_ratios=FOURTEEN_RATIOS,  # Tx3
        image_sizes=("1K", "2K", "4K"),  # "512" is a 400 (Tx2)
        default_image_size="1K",
        max_reference_images=14,  # 10 objects, 4 characters (Tx2)
        output_image_tokens={"1K": 1120, "2K": 1680, "4K": 3780},  # implied by per-image prices
        input_image_tokens=560,
        prices=_prices("1.50", "7.50", "30", "Tx3: 0.0336 / 0.0504 / 0.1134 per image"),
        dimensions_1k=GEMINI_3_DIMENSIONS,
        thinking_levels=("minimal", "medium", "high"),  # Tx4
        default_thinking_level="medium",
        thinks=True,
        grounding=("web", "image"),  # T1
        source="G (release, GA); Tx2-Tx4 (capabilities, prices)",
    ),
    ModelCapabilities(
        id="gemini-3-pro-image",
        name="Nano Banana Pro",
        stage="ga",
        released=dt.date(2026, 5, 28),
        aspect_ratios=TEN_RATIOS,
        image_sizes=("1K", "2K", "4K"),
        default_image_size="1K",
        max_reference_images=14,  # 6 objects, 5 characters, 3 style
        output_image_tokens={"1K": 1120, "2K": 1120, "4K": 2000},
        input_image_tokens=560,
        prices=_prices("2.00", "12.00", "120", "G"),
        dimensions_1k=GEMINI_3_DIMENSIONS,
        thinks=True,  # always on, no level
        grounding=("web",),
        source="G",
    ),
    ModelCapabilities(
        id="gemini-3.1-flash-lite-image",
        name="Nano Banana 2 Lite",
        stage="ga",
        released=dt.date(2026, 6, 30),
        # ai.google.dev lists 10 ratios, Vertex 14: the narrower claim.
        aspect_ratios=TEN_RATIOS,
        image_sizes=("1K",),
        default_image_size="1K",
        max_reference_images=14,  # objects only, no characters
        output_image_tokens={"1K": 1120},
        input_image_tokens=560,
        prices=_prices("0.25", "1.50", "30", "Tx2: 0.0336 per image"),
        dimensions_1k=GEMINI_3_DIMENSIONS,
        thinking_levels=("minimal", "high"),
        thinks=True,
        source="G (capabilities); Tx2 (prices)",
    ),
    ModelCapabilities(
        id="gemini-3.1-flash-image",
        name="Nano Banana 2",
        stage="deprecated",
        released=dt.date(2026, 5, 28),
        deprecated_on=dt.date(2026, 10, 6),
        shutdown=dt.date(2026, 10, 29),
        shutdown_confirmed=False,  # reported shut down by two third parties, not by Google
        replacement="gemini-nano-banana-2.1",
        aspect_ratios=FOURTEEN_RATIOS,
        image_sizes=("512", "1K", "2K", "4K"),
        default_image_size="1K",
        max_reference_images=14,
        output_image_tokens={"512": 747, "1K": 1120, "2K": 1680, "4K": 2520},
        input_image_tokens=560,
        prices=_prices("0.50", "3.00", "60", "G"),
        dimensions_1k=GEMINI_3_DIMENSIONS,
        thinking_levels=("minimal", "high"),
        default_thinking_level="minimal",
        thinks=True,
        grounding=("web", "image"),
        source="G",
    ),
    ModelCapabilities(
        id="gemini-2.5-flash-image",
        name="Nano Banana",
        stage="legacy",
        released=dt.date(2025, 10, 2),
        # Earliest shutdown 2026-10-02 has passed; kept "for existing users until further
        # notice" (G, changelog 2026-09-18): no date is known.
        replacement="gemini-3.1-flash-lite-image",
        aspect_ratios=TEN_RATIOS,
        image_sizes=(),  # fixed ~1 MP; sending imageSize fails
        default_image_size=None,
        max_reference_images=3,
        output_image_tokens={"1K": 1290},
        input_image_tokens=258,
        prices=_prices("0.30", "2.50", "30", "G"),
        dimensions_1k=GEMINI_25_DIMENSIONS,
        input_mime_types=("image/png", "image/jpeg", "image/webp", "image/heic", "image/heif"),
        source="G",
    ),
)


_BY_ID = {m.id: m for m in _CURRENT}


def _retired(successor_id: str, **lifecycle: object) -> ModelCapabilities:
    """A shut-down preview id: the capabilities of the GA model that followed it (they did
    not change at GA), with its own id, dates, prices and replacement."""
    return dataclasses.replace(
        _BY_ID[successor_id],
        stage="retired",
        deprecated_on=None,
        shutdown_confirmed=True,
        grounding=(),
        source="G",
        **lifecycle,
    )


_PRO_PREVIEW = {
    "released": dt.date(2025, 11, 20),
    "shutdown": dt.date(2026, 6, 25),
    "replacement": "gemini-3-pro-image",
    "prices": _prices("2.00", "12.00", "120", "G (February 2026)"),
}

#: Today's models and, kept because stored versions name them, the retired ids.
LINEUP: tuple[ModelCapabilities, ...] = (
    *_CURRENT,
    _retired(
        "gemini-3.1-flash-image",
        id="gemini-3.1-flash-image-preview",
        name="Nano Banana 2 (preview)",
        released=dt.date(2026, 2, 26),
        shutdown=dt.date(2026, 6, 25),
        replacement="gemini-3.1-flash-image",  # deprecated in turn: -> 2.1
        prices=_prices("0.50", "3.00", "60", "G (February 2026)"),
    ),
    _retired(
        "gemini-3-pro-image",
        id="gemini-3-pro-image-preview",
        name="Nano Banana Pro (preview)",
        **_PRO_PREVIEW,
    ),
    _retired(
        "gemini-3-pro-image",
        id="nano-banana-pro-preview",  # alias of the above
        name="Nano Banana Pro (preview alias)",
        **_PRO_PREVIEW,
    ),
)

#: Text models that describe images (alt text, description, focal point): same endpoint,
#: structured output (``responseMimeType: application/json`` + ``responseJsonSchema``).
TEXT_LINEUP: tuple[TextModel, ...] = (
    TextModel(
        id="gemini-3.1-flash-lite",
        name="Gemini 3.1 Flash-Lite",
        stage="ga",
        released=dt.date(2026, 5, 7),
        shutdown=dt.date(2027, 5, 7),  # earliest shutdown (G)
        prices=_prices("0.25", "1.50", "1.50", "Tx3: 0.25 in / 1.50 out per 1M tokens"),
        thinking_levels=("minimal", "low", "medium", "high"),
        source="G (release, capabilities); Tx3 (prices)",
    ),
)

__all__ = ["GEMINI_3_INPUT_MIME_TYPES", "LINEUP", "TEXT_LINEUP"]
