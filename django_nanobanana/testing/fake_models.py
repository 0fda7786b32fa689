"""The fake Gemini server's own model table: what Google serves, as Google describes it.

Written from Google's published facts (``gemini-models-2026-11.md`` of the project's
reference: ai.google.dev image-generation guide, deprecations page and changelog, Vertex
model pages, public ``models.list`` dumps) and deliberately **not** imported from the
package's capabilities registry: the fake stands for Google, so a wrong registry entry
(a size the model does not take, a ratio it lacks, a retired id) fails a test instead of
being agreed with. Keep the two apart when Google's lineup changes: update this table from
Google's documentation, the registry from the same documentation, and let the
conformance tests compare them.

Sizes are pixels (width, height) per aspect ratio and ``imageSize``; usage is tokens per
output image and per input image; ``stage`` is what ``modelStatus.modelStage`` says.
"""

from __future__ import annotations

from typing import Any

_TEN = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
_EXTRA = ("1:4", "4:1", "1:8", "8:1")

# Google's pixel table for the Gemini 3 image models at 1K (3 Pro and 3.1 Flash share it).
_G3_1K = {
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
_SCALE = {"512": 0.5, "1K": 1, "2K": 2, "4K": 4}
# Nano Banana (2.5): one size per ratio.
_G25 = {
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


def _g3(ratios: tuple[str, ...], sizes: tuple[str, ...]) -> dict[str, dict[str, tuple[int, int]]]:
    return {
        size: {
            r: (int(_G3_1K[r][0] * _SCALE[size]), int(_G3_1K[r][1] * _SCALE[size])) for r in ratios
        }
        for size in sizes
    }


#: Models that answer generateContent, by id.
SERVED: dict[str, dict[str, Any]] = {
    "gemini-nano-banana-2.1": {
        "display_name": "Nano Banana 2.1",
        "version": "2.1",
        "stage": "STABLE",
        "ratios": _TEN + _EXTRA,
        "sizes": ("1K", "2K", "4K"),
        "default_size": "1K",
        "pixels": _g3(_TEN + _EXTRA, ("1K", "2K", "4K")),
        "thinking_levels": ("minimal", "medium", "high"),
        "thinks": True,
        "max_inputs": 14,
        "search": ("webSearch", "imageSearch"),
        "image_tokens": {"1K": 1120, "2K": 1680, "4K": 3780},
        "input_image_tokens": 560,
    },
    "gemini-3-pro-image": {
        "display_name": "Nano Banana Pro",
        "version": "3.0",
        "stage": "STABLE",
        "ratios": _TEN,
        "sizes": ("1K", "2K", "4K"),
        "default_size": "1K",
        "pixels": _g3(_TEN, ("1K", "2K", "4K")),
        "thinking_levels": (),
        "thinks": True,
        "max_inputs": 14,
        "search": ("webSearch",),
        "image_tokens": {"1K": 1120, "2K": 1120, "4K": 2000},
        "input_image_tokens": 560,
    },
    "gemini-3.1-flash-lite-image": {
        "display_name": "Nano Banana 2 Lite",
        "version": "3.1",
        "stage": "STABLE",
        "ratios": _TEN,
        "sizes": ("1K",),
        "default_size": "1K",
        "pixels": _g3(_TEN, ("1K",)),
        "thinking_levels": ("minimal", "high"),
        "thinks": True,
        "max_inputs": 14,
        "search": (),
        "image_tokens": {"1K": 1120},
        "input_image_tokens": 560,
    },
    "gemini-3.1-flash-image": {
        "display_name": "Nano Banana 2",
        "version": "3.1",
        "stage": "DEPRECATED",
        "retirement_time": "2026-10-29T00:00:00Z",
        "ratios": _TEN + _EXTRA,
        "sizes": ("512", "1K", "2K", "4K"),
        "default_size": "1K",
        "pixels": _g3(_TEN + _EXTRA, ("512", "1K", "2K", "4K")),
        "thinking_levels": ("minimal", "high"),
        "thinks": True,
        "max_inputs": 14,
        "search": ("webSearch", "imageSearch"),
        "image_tokens": {"512": 747, "1K": 1120, "2K": 1680, "4K": 2520},
        "input_image_tokens": 560,
    },
    "gemini-2.5-flash-image": {
        "display_name": "Nano Banana",
        "version": "2.5",
        "stage": "LEGACY",
        "ratios": _TEN,
        "sizes": (),
        "default_size": None,
        "pixels": {"": _G25},
        "thinking_levels": (),
        "thinks": False,
        "max_inputs": 3,
        "search": (),
        "image_tokens": {"": 1290},
        "input_image_tokens": 258,
    },
}

#: Ids Google has shut down: they answer 404 NOT_FOUND, like any unknown id.
RETIRED = frozenset(
    {
        "gemini-3.1-flash-image-preview",
        "gemini-3-pro-image-preview",
        "nano-banana-pro-preview",
    }
)

#: Text models that answer generateContent (text out only; structured output with
#: ``responseMimeType: application/json`` + ``responseJsonSchema``). An input image is
#: billed as ``input_image_tokens`` (Gemini 3 at the default, high, media resolution).
TEXT_SERVED: dict[str, dict[str, Any]] = {
    "gemini-3.1-flash-lite": {
        "display_name": "Gemini 3.1 Flash-Lite",
        "version": "3.1",
        "stage": "STABLE",
        "thinking_levels": ("minimal", "low", "medium", "high"),
        "input_image_tokens": 1120,
    },
    "gemini-3.5-flash": {
        "display_name": "Gemini 3.5 Flash",
        "version": "3.5",
        "stage": "STABLE",
        "thinking_levels": ("minimal", "low", "medium", "high"),
        "input_image_tokens": 1120,
    },
}
#: Other models ``models.list`` shows, so listings look like Google's.
OTHER_LISTED = {
    model_id: {"display_name": m["display_name"], "version": m["version"]}
    for model_id, m in TEXT_SERVED.items()
}

#: Input image types the models take (AVIF is not among them).
INPUT_MIME_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "image/heic", "image/heif"})


def listing() -> list[dict[str, Any]]:
    """Every model as ``models.list`` describes it, in a stable order."""
    entries = []
    for model_id, model in {**SERVED, **OTHER_LISTED}.items():
        entries.append(
            {
                "name": f"models/{model_id}",
                "version": model["version"],
                "displayName": model["display_name"],
                "description": f"{model['display_name']}.",
                "inputTokenLimit": 65536,
                "outputTokenLimit": 65536,
                "supportedGenerationMethods": [
                    "generateContent",
                    "countTokens",
                    "batchGenerateContent",
                ],
                "temperature": 1,
                "topP": 0.95,
                "topK": 64,
                "maxTemperature": 1,
                "thinking": True,
            }
        )
    return entries
