"""Intermediate forms of the admin actions. They validate input (against the model's
capabilities, through :func:`~django_nanobanana.services.validate_params`); the views in
:mod:`.actions` hand the cleaned values to the services."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .. import access
from ..exceptions import ConfigurationError, RequestValidationError
from ..forms import GenerationForm, add_service_errors
from ..imaging.overlay import (
    ALIGNS,
    ANCHORS,
    BACKGROUNDS,
    DEFAULT_ANCHOR,
    DEFAULT_COLOR,
    DEFAULT_LINE_SPACING,
    DEFAULT_MARGIN,
    DEFAULT_MAX_WIDTH,
    DEFAULT_MIN_SIZE,
    DEFAULT_PADDING,
    DEFAULT_SIZE,
    DEFAULT_STROKE_COLOR,
    DEFAULT_STYLE,
    DIRECTIONS,
    OverlaySpec,
    OverlayValidationError,
    available_fonts,
)
from ..models import AssetVersion, GeneratedAsset
from ..providers.models_registry import get_registry, resolve_model
from ..services import edit_params, validate_overlay, validate_params
from ..services.references import MAX_REFERENCE_BYTES, validate_reference


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Zero or more uploaded files (Django's documented multiple-upload pattern)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def capabilities_json() -> str:
    """What the form's script needs to offer only the ratios and sizes a model supports."""
    return json.dumps(
        {
            m.id: {
                "ratios": list(m.aspect_ratios),
                "sizes": list(m.image_sizes),
                "max_references": m.max_reference_images,
                "thinking_levels": list(m.thinking_levels),
                "grounding": list(m.grounding),
                "stage": m.stage,
                "notice": m.lifecycle_notice(),
            }
            for m in get_registry().values()
        }
    )


# -- references --------------------------------------------------------------------------------


class ReferencesMixin(forms.Form):
    """References from existing images (their current version) and new uploads."""

    reference_assets = forms.ModelMultipleChoiceField(
        label=_("Reference images from the library"),
        required=False,
        queryset=GeneratedAsset.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 5}),
        help_text=_("The current image of each selected asset is sent as a reference."),
    )
    reference_uploads = MultipleImageField(
        label=_("Upload reference images"),
        help_text=_("PNG, JPEG, WebP or AVIF."),
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only images the editor may use as references (django_nanobanana.access).
        self.fields["reference_assets"].queryset = access.reference_candidates(user).order_by(
            "title"
        )
        self.fields["reference_assets"].label_from_instance = lambda a: a.title

    def clean_reference_uploads(self) -> list[Any]:
        """Each upload decoded and size-checked now, so a refused file is never stored."""
        uploads = self.cleaned_data.get("reference_uploads") or []
        for upload in uploads:
            name = upload.name or _("upload")
            if upload.size > MAX_REFERENCE_BYTES:
                raise forms.ValidationError(
                    _("%(name)s: reference images may be at most %(mb)d MB.")
                    % {"name": name, "mb": MAX_REFERENCE_BYTES // (1024 * 1024)},
                    code="too_large",
                )
            upload.seek(0)
            try:
                validate_reference(upload.read())
            except RequestValidationError as exc:
                messages = [m for ms in exc.field_errors.values() for m in ms] or [str(exc)]
                raise forms.ValidationError(
                    [f"{name}: {message}" for message in messages], code="invalid_image"
                ) from None
            finally:
                upload.seek(0)
        return uploads

    def reference_count(self) -> int:
        data = self.cleaned_data
        return len(data.get("reference_assets") or ()) + len(data.get("reference_uploads") or ())

    def reference_sizes(self) -> list[int]:
        """Bytes of each upload, for the model's per-reference limits."""
        return [upload.size for upload in self.cleaned_data.get("reference_uploads") or ()]


# -- overlay -----------------------------------------------------------------------------------


def _choices(values: Iterable[str]) -> list[tuple[str, str]]:
    return [(v, v) for v in values]


STYLE_CHOICES = [("auto", _("Automatic (legible on any picture)")), ("custom", _("Custom colours"))]


class OverlayForm(forms.Form):
    """The overlay spec as form fields; an empty text means no overlay."""

    text = forms.CharField(
        label=_("Text"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 40}),
        help_text=_("Leave empty for no overlay. Line breaks are kept."),
    )
    style = forms.ChoiceField(
        label=_("Style"),
        choices=STYLE_CHOICES,
        initial=DEFAULT_STYLE,
        help_text=_(
            "Automatic: white or black text, plus a soft shadow or a scrim only where "
            "the picture needs it, measured on every rendition to reach a 4.5:1 "
            "contrast. Custom: the colours, outline and background below."
        ),
    )
    font = forms.ChoiceField(label=_("Font"), initial="auto")
    size = forms.FloatField(
        label=_("Font size"),
        initial=DEFAULT_SIZE,
        min_value=0.01,
        max_value=0.5,
        help_text=_("Fraction of the image height (0.07 = 7%)."),
        widget=forms.NumberInput(attrs={"step": "0.005"}),
    )
    min_size = forms.FloatField(
        label=_("Minimum font size"),
        initial=DEFAULT_MIN_SIZE,
        min_value=0.005,
        max_value=0.5,
        help_text=_(
            "Fraction of the image height. Long text shrinks down to this before it is refused."
        ),
        widget=forms.NumberInput(attrs={"step": "0.005"}),
    )
    anchor = forms.ChoiceField(
        label=_("Position"),
        choices=_choices(ANCHORS),
        initial=DEFAULT_ANCHOR,
        help_text=_("Where the text block sits, inside the margins."),
    )
    align = forms.ChoiceField(
        label=_("Alignment"),
        choices=_choices(ALIGNS),
        initial="start",
        help_text=_("Of the lines within the block; start and end follow the text direction."),
    )
    direction = forms.ChoiceField(
        label=_("Text direction"),
        choices=_choices(DIRECTIONS),
        initial="auto",
        help_text=_("Auto: from the first letter (Hebrew and Arabic read right to left)."),
    )
    color = forms.CharField(
        label=_("Text colour"),
        initial=DEFAULT_COLOR,
        max_length=9,
        widget=forms.TextInput(attrs={"type": "color"}),
        help_text=_("Custom style only."),
    )
    stroke_width = forms.FloatField(
        label=_("Outline width"),
        initial=0.0,
        min_value=0,
        max_value=0.25,
        help_text=_(
            "Custom style only. Fraction of the font size (0.1 = a tenth of it); 0 for none."
        ),
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )
    stroke_color = forms.CharField(
        label=_("Outline colour"),
        initial=DEFAULT_STROKE_COLOR,
        max_length=9,
        widget=forms.TextInput(attrs={"type": "color"}),
        help_text=_("Custom style only."),
    )
    background = forms.ChoiceField(
        label=_("Background"),
        choices=_choices(BACKGROUNDS),
        initial="none",
        help_text=_(
            "Box: around the text; band: the full width, reaching the top or bottom "
            "edge when anchored there. With the automatic style: the shape of the "
            "scrim, when one is needed."
        ),
    )
    background_color = forms.CharField(
        label=_("Background colour"),
        initial="#000000",
        max_length=9,
        widget=forms.TextInput(attrs={"type": "color"}),
        help_text=_("Custom style only."),
    )
    background_opacity = forms.FloatField(
        label=_("Background opacity"),
        initial=0.5,
        min_value=0,
        max_value=1,
        help_text=_("Custom style only. From 0 (transparent) to 1 (opaque)."),
        widget=forms.NumberInput(attrs={"step": "0.05"}),
    )
    padding = forms.FloatField(
        label=_("Padding"),
        initial=DEFAULT_PADDING,
        min_value=0,
        max_value=2,
        help_text=_(
            "Space between the text and its background or scrim, as a fraction of the font size."
        ),
        widget=forms.NumberInput(attrs={"step": "0.05"}),
    )
    margin_x = forms.FloatField(
        label=_("Horizontal margin"),
        initial=DEFAULT_MARGIN,
        min_value=0,
        max_value=0.45,
        help_text=_("Fraction of the image's shorter side, from the left and right edges."),
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )
    margin_y = forms.FloatField(
        label=_("Vertical margin"),
        initial=DEFAULT_MARGIN,
        min_value=0,
        max_value=0.45,
        help_text=_("Fraction of the image's shorter side, from the top and bottom edges."),
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )
    max_width = forms.FloatField(
        label=_("Maximum width"),
        initial=DEFAULT_MAX_WIDTH,
        min_value=0.1,
        max_value=1,
        help_text=_("Fraction of the image width the text block may take (0.9 = 90%)."),
        widget=forms.NumberInput(attrs={"step": "0.05"}),
    )
    line_spacing = forms.FloatField(
        label=_("Line spacing"),
        initial=DEFAULT_LINE_SPACING,
        min_value=1,
        max_value=3,
        help_text=_("Multiple of the font size from one line to the next."),
        widget=forms.NumberInput(attrs={"step": "0.05"}),
    )

    def __init__(
        self, *args: Any, image_size: tuple[int, int] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.image_size = image_size
        for field in self.fields.values():  # anything left out takes the spec's default
            field.required = False
        self.fields["font"].choices = [("auto", _("Automatic (by script)"))] + [
            (slug, f"{info.family}{' Bold' if info.bold else ''} ({slug})")
            for slug, info in available_fonts().items()
        ]

    @classmethod
    def initial_from(cls, spec: Mapping[str, Any] | None) -> dict[str, Any]:
        if not spec:
            return {}
        try:  # a stored spec without "style" has one implied by its fields
            spec = {**spec, "style": OverlaySpec.from_dict(spec).style}
        except OverlayValidationError:
            pass
        return {k: v for k, v in spec.items() if k in cls.base_fields}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors or not (data.get("text") or "").strip():
            return data
        try:
            self.cleaned_spec = validate_overlay(self._raw_spec(), size=self.image_size)
        except RequestValidationError as exc:
            add_service_errors(self, exc, prefix="overlay.")
        return data

    def _raw_spec(self) -> dict[str, Any]:
        data = self.cleaned_data
        spec = {name: data[name] for name in self.fields if data.get(name) not in (None, "")}
        spec["text"] = data["text"].strip()
        return spec

    def spec(self) -> dict[str, Any] | None:
        """The validated spec, or None (no text: no overlay)."""
        if not (self.cleaned_data.get("text") or "").strip():
            return None
        return getattr(self, "cleaned_spec", None) or self._raw_spec()


# -- generation --------------------------------------------------------------------------------


class _ValidatedGeneration(GenerationForm):
    """GenerationForm's fields; validation counts the references the editor picked."""

    extra_images = 0  # images sent besides the references (an edit sends the image to edit)

    def clean(self) -> dict[str, Any]:
        data = forms.Form.clean(self)
        if self.errors:
            return data
        count = self.reference_count() + self.extra_images  # type: ignore[attr-defined]
        sizes = self.reference_sizes() if isinstance(self, ReferencesMixin) else []
        try:
            validate_params(self.generation_params(), reference_count=count, reference_sizes=sizes)
        except (RequestValidationError, ConfigurationError) as exc:
            add_service_errors(self, exc)
        return data


class GenerateForm(ReferencesMixin, _ValidatedGeneration):
    """Generate a new version (of a new or an existing image)."""

    field_order = (
        "prompt",
        "model",
        "aspect_ratio",
        "image_size",
        "seed",
        "thinking_level",
        "grounding",
        "reference_assets",
        "reference_uploads",
    )


class NewImageForm(GenerateForm):
    """The add page: what the image is called plus what to generate."""

    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("Defaults to the beginning of the prompt."),
    )
    alt_text = forms.CharField(label=_("Alt text"), max_length=500, required=False)
    field_order = ("title", "alt_text", *GenerateForm.field_order)


class RegenerateForm(GenerateForm):
    """A new version from an earlier one: the same request, or with changes."""

    def __init__(self, *args: Any, version: AssetVersion, **kwargs: Any) -> None:
        self.version = version
        model, replaced = resolve_model(version.model)
        kwargs.setdefault(
            "initial",
            {
                "prompt": version.prompt,
                "model": model.id,
                "aspect_ratio": version.aspect_ratio,
                "image_size": version.image_size,
                "seed": version.seed,
                "thinking_level": (version.params or {}).get("thinking_level") or "",
                "grounding": (version.params or {}).get("grounding") or "",
            },
        )
        super().__init__(*args, **kwargs)
        if replaced:
            self.fields["model"].help_text = _(
                "This version was made with %(old)s, which Google has retired; its "
                "replacement %(new)s is used."
            ) % {"old": replaced, "new": model.id}
        self.fields["reference_assets"].help_text = _(
            "Leave empty to keep the references of the version regenerated (%(count)d)."
        ) % {"count": len(version.references)}

    def reference_count(self) -> int:
        count = super().reference_count()
        return count or len(self.version.references)

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "prompt": data["prompt"],
            "model": data.get("model") or None,
            "aspect_ratio": data.get("aspect_ratio") or None,
            "image_size": data.get("image_size") or None,
            "seed": data.get("seed"),
            "thinking_level": data.get("thinking_level") or None,
            "grounding": data.get("grounding") or "",
        }


class BulkRegenerateForm(ReferencesMixin, forms.Form):
    """Regenerate several images: each from its own current request, optionally reworded."""

    prompt = forms.CharField(
        label=_("New prompt"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Leave empty to keep each image's own prompt."),
    )
    seed = forms.IntegerField(label=_("Seed"), required=False, min_value=0, max_value=2**31 - 1)

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        changes: dict[str, Any] = {}
        if data.get("prompt"):
            changes["prompt"] = data["prompt"]
        if data.get("seed") is not None:
            changes["seed"] = data["seed"]
        return changes


class EditForm(ReferencesMixin, forms.Form):
    """Edit an image with an instruction (a follow-up turn on the version edited)."""

    instruction = forms.CharField(
        label=_("Instruction"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What to change, e.g. “make the sky pink, keep everything else”."),
    )
    field_order = ("instruction", "reference_assets", "reference_uploads")

    def __init__(self, *args: Any, version: AssetVersion | None = None, **kwargs: Any) -> None:
        self.version = version
        super().__init__(*args, **kwargs)
        if version is not None:
            model, replaced = resolve_model(version.model)
            if replaced:
                self.fields["instruction"].help_text = _(
                    "This image was made with %(old)s, which Google has retired: the edit is "
                    "made by %(new)s, with the image as its input."
                ) % {"old": replaced, "new": model.id}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors or self.version is None:
            return data
        version = self.version
        params = edit_params(version, instruction=data["instruction"])
        try:
            validate_params(
                params,
                reference_count=self.reference_count() + 1,
                reference_sizes=self.reference_sizes(),
            )
        except (RequestValidationError, ConfigurationError) as exc:
            add_service_errors(self, exc)
        return data


class VersionChoiceForm(forms.Form):
    """The version a history button acts on."""

    version = forms.UUIDField(widget=forms.HiddenInput)
