"""Validation of overlay fields: every bad field reported at once, with translatable
messages, and every good one normalised (numbers as floats, choices lower case, colours
upper case, text NFC with one kind of line break)."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from .choices import (
    ALIGNS,
    ANCHORS,
    BACKGROUNDS,
    DEFAULT_MAX_TEXT_LENGTH,
    DIRECTIONS,
    FIELD_LABELS,
    NUMBER_RANGES,
    STYLES,
    lazy_format,
)
from .fonts import font_choices


class OverlayValidationError(ValueError):
    """Invalid overlay; ``field_errors`` maps field names to translatable messages."""

    def __init__(self, field_errors: Mapping[str, list[Any]]) -> None:
        self.field_errors: dict[str, list[Any]] = {k: list(v) for k, v in field_errors.items()}
        super().__init__(self.field_errors)

    def __str__(self) -> str:
        parts = [
            f"{name}: {'; '.join(str(m) for m in msgs)}" for name, msgs in self.field_errors.items()
        ]
        return "; ".join(parts)


def _clean_number(name: str, value: Any, errors: dict[str, list[Any]]) -> float | None:
    low, high = NUMBER_RANGES[name]
    number: float | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int | float | Decimal):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number is None or not math.isfinite(number):
        errors.setdefault(name, []).append(
            lazy_format(_("%(field)s must be a number."), field=FIELD_LABELS[name])
        )
        return None
    if not low <= number <= high:
        errors.setdefault(name, []).append(
            lazy_format(
                _("%(field)s must be between %(min)s and %(max)s."),
                field=FIELD_LABELS[name],
                min=f"{low:g}",
                max=f"{high:g}",
            )
        )
        return None
    return number


def _clean_choice(
    name: str, value: Any, choices: Iterable[str], errors: dict[str, list[Any]]
) -> str | None:
    choices = tuple(choices)
    if isinstance(value, str) and value.strip().lower() in choices:
        return value.strip().lower()
    errors.setdefault(name, []).append(
        lazy_format(
            _("%(field)s must be one of: %(choices)s."),
            field=FIELD_LABELS[name],
            choices=", ".join(choices),
        )
    )
    return None


def _clean_color(name: str, value: Any, errors: dict[str, list[Any]]) -> str | None:
    if isinstance(value, str):
        text = value.strip()
        if (
            text.startswith("#")
            and len(text) in (7, 9)
            and all(c in "0123456789abcdefABCDEF" for c in text[1:])
        ):
            return text.upper()
    errors.setdefault(name, []).append(
        lazy_format(
            _("%(field)s must be a colour written #RRGGBB or #RRGGBBAA."),
            field=FIELD_LABELS[name],
        )
    )
    return None


_LINE_BREAKS = str.maketrans({"\r": "\n", "\u2028": "\n", "\u2029": "\n", "\x85": "\n"})


def _clean_text(value: Any, errors: dict[str, list[Any]]) -> str | None:
    label = FIELD_LABELS["text"]
    if not isinstance(value, str):
        errors.setdefault("text", []).append(
            lazy_format(_("%(field)s must be a string."), field=label)
        )
        return None
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n").translate(_LINE_BREAKS))
    text = "\n".join(line.strip() for line in text.strip().split("\n"))
    if not text:
        errors.setdefault("text", []).append(
            lazy_format(_("%(field)s must not be empty."), field=label)
        )
        return None
    bad = sorted(
        {c for c in text if c != "\n" and unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn")}
    )
    if bad:
        errors.setdefault("text", []).append(
            lazy_format(
                _("%(field)s contains control or unassigned characters: %(chars)s."),
                field=label,
                chars=", ".join(f"U+{ord(c):04X}" for c in bad),
            )
        )
    if len(text) > DEFAULT_MAX_TEXT_LENGTH:
        errors.setdefault("text", []).append(
            lazy_format(
                _("%(field)s is %(length)d characters long; the limit is %(max)d."),
                field=label,
                length=len(text),
                max=DEFAULT_MAX_TEXT_LENGTH,
            )
        )
    return None if bad or len(text) > DEFAULT_MAX_TEXT_LENGTH else text


def clean_fields(
    values: Mapping[str, Any], errors: dict[str, list[Any]], explicit_min: bool
) -> dict[str, Any]:
    """Validate and normalise every field, appending messages to ``errors``."""
    out: dict[str, Any] = {}
    out["text"] = _clean_text(values["text"], errors)
    out["font"] = _clean_choice("font", values["font"], font_choices(), errors)
    for name in NUMBER_RANGES:
        out[name] = _clean_number(name, values[name], errors)
    out["anchor"] = _clean_choice("anchor", values["anchor"], ANCHORS, errors)
    out["background"] = _clean_choice("background", values["background"], BACKGROUNDS, errors)
    out["align"] = _clean_choice("align", values["align"], ALIGNS, errors)
    out["direction"] = _clean_choice("direction", values["direction"], DIRECTIONS, errors)
    out["style"] = _clean_choice("style", values["style"], STYLES, errors)
    for name in ("color", "stroke_color", "background_color"):
        out[name] = _clean_color(name, values[name], errors)
    size, min_size = out["size"], out["min_size"]
    if size is not None and min_size is not None and min_size > size:
        if explicit_min:
            errors.setdefault("min_size", []).append(
                lazy_format(
                    _("%(field)s must not be larger than the font size."),
                    field=FIELD_LABELS["min_size"],
                )
            )
        else:
            out["min_size"] = size
    return out
