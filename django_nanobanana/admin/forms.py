"""Intermediate forms of the admin actions. They validate input (against the model's
capabilities, through :func:`~django_nanobanana.services.validate_params`); the views in
:mod:`.actions` hand the cleaned values to the services."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .. import access
from ..exceptions import ConfigurationError, RequestValidationError
from ..forms import GenerationForm, add_service_errors
from ..models import AssetVersion, GeneratedAsset
from ..providers.models_registry import get_registry, resolve_model
from ..services import edit_params, validate_params
from ..services.params import REQUEST_FIELDS
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

    field_order = (*REQUEST_FIELDS, "reference_assets", "reference_uploads")


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
        """The request as the form has it, every parameter (what :func:`regenerate` takes)."""
        params = self.generation_params()
        return {name: getattr(params, name) for name in REQUEST_FIELDS}


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
