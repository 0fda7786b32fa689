"""The overlay spec: a validated, immutable, hashable description of one text overlay,
in units relative to the image (so one spec looks the same at every rendition width)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from django.utils.translation import gettext_lazy as _

from . import choices
from .validation import OverlayValidationError, clean_fields


@dataclass(frozen=True)
class OverlaySpec:
    """A validated, immutable, hashable description of one text overlay.

    Build it with :meth:`from_dict` (which reports every bad field at once);
    direct construction validates too and raises on the first problems.
    """

    text: str
    font: str = choices.DEFAULT_FONT
    size: float = choices.DEFAULT_SIZE
    anchor: str = choices.DEFAULT_ANCHOR
    margin_x: float = choices.DEFAULT_MARGIN
    margin_y: float = choices.DEFAULT_MARGIN
    max_width: float = choices.DEFAULT_MAX_WIDTH
    min_size: float = choices.DEFAULT_MIN_SIZE
    color: str = choices.DEFAULT_COLOR
    stroke_width: float = choices.DEFAULT_STROKE_WIDTH
    stroke_color: str = choices.DEFAULT_STROKE_COLOR
    background: str = choices.DEFAULT_BACKGROUND
    background_color: str = choices.DEFAULT_BACKGROUND_COLOR
    background_opacity: float = choices.DEFAULT_BACKGROUND_OPACITY
    padding: float = choices.DEFAULT_PADDING
    align: str = choices.DEFAULT_ALIGN
    direction: str = choices.DEFAULT_DIRECTION
    line_spacing: float = choices.DEFAULT_LINE_SPACING
    style: str = choices.DEFAULT_STYLE
    _validated: bool = field(default=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self._validated:
            return
        errors: dict[str, list[Any]] = {}
        values = {f: getattr(self, f) for f in _FIELD_NAMES}
        cleaned = clean_fields(values, errors, self.min_size != choices.DEFAULT_MIN_SIZE)
        if errors:
            raise OverlayValidationError(errors)
        for name, value in cleaned.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_validated", True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OverlaySpec:
        """Validate user input (form/JSON data) into a spec.

        Raises :class:`OverlayValidationError` listing every invalid or
        unknown field.  ``min_size`` larger than ``size`` is an error only
        when it was given explicitly; otherwise it is lowered to ``size``.
        """
        if not isinstance(data, Mapping):
            raise OverlayValidationError(
                {"__all__": [_("The overlay must be an object of named fields.")]}
            )
        values = dict(_DEFAULT_VALUES)
        errors: dict[str, list[Any]] = {}
        for key, value in data.items():
            if key in _FIELD_NAMES:
                values[key] = value
            else:
                errors.setdefault(str(key), []).append(_("Unknown field."))
        if "style" not in data and any(name in data for name in choices.STYLE_FIELDS):
            values["style"] = "custom"
        if "background" in data and "style" not in data and data["background"] != "none":
            values["style"] = "custom"
        if "text" not in data:
            errors["text"] = [_("This field is required.")]
            values["text"] = "-"  # placeholder so the other fields are still checked
        cleaned = clean_fields(values, errors, "min_size" in data)
        if errors:
            raise OverlayValidationError(errors)
        return cls(**cleaned, _validated=True)

    def to_dict(self) -> dict[str, Any]:
        """Canonical JSON-serialisable form: every field, nothing else."""
        return {name: getattr(self, name) for name in _FIELD_NAMES}

    def digest(self) -> str:
        """Short stable hash of the canonical form (and the layout version).

        Used in rendition file names so a changed overlay gets new files.
        """
        payload = json.dumps(
            {"v": choices.OVERLAY_LAYOUT_VERSION, **self.to_dict()},
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(OverlaySpec) if f.name != "_validated")


_DEFAULT_VALUES: dict[str, Any] = {
    f.name: f.default for f in fields(OverlaySpec) if f.name in _FIELD_NAMES and f.name != "text"
}
