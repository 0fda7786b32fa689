"""Forms shared by the admin and the integrations; they validate, the services act."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .conf import nanobanana_settings
from .exceptions import ConfigurationError, RequestValidationError
from .providers.models_registry import get_registry, usable_models
from .services import GenerationParams, validate_params

#: The overlay's two styles, as the admin's overlay editor and the django CMS plugin offer them.
OVERLAY_STYLE_CHOICES = (
    ("auto", _("Automatic (legible on any picture)")),
    ("custom", _("Custom colours")),
)

OVERLAY_STYLE_HELP = _(
    "Automatic: white or black text, plus a soft shadow or a scrim only where "
    "the picture needs it, measured on every rendition to reach a 4.5:1 "
    "contrast. Custom: what you set below."
)

GROUNDING_CHOICES = (
    ("", _("No search grounding")),
    ("web", _("Google Search (web)")),
    ("web+image", _("Google Search (web and images)")),
)


def error_message(exc: Exception) -> str:
    """The readable text of a service error (its ``message`` where it has one)."""
    return str(getattr(exc, "message", None) or exc)


def add_service_errors(
    form: forms.BaseForm,
    exc: Exception,
    *,
    prefix: str = "",
    subforms: Mapping[str, forms.BaseForm] | None = None,
    field: str | None = None,
) -> None:
    """Put a service error on ``form``, the one rule of every form that calls a service.

    A :class:`RequestValidationError`'s messages go on their fields: ``prefix`` is taken off
    the service's field name (``"overlay."`` for a form of the overlay's own fields), a
    ``"sub.name"`` field goes on ``subforms["sub"]``, and a field the form lacks becomes a
    form-wide error. Any other error is form-wide (code ``configuration`` for a
    :class:`ConfigurationError`). With ``field``, the whole error goes on that one field
    (a form that edits a whole spec through one field).
    """
    if field is not None:
        form.add_error(field, error_message(exc))
        return
    if not isinstance(exc, RequestValidationError):
        code = "configuration" if isinstance(exc, ConfigurationError) else None
        form.add_error(None, forms.ValidationError(error_message(exc), code=code))
        return
    for service_field, messages in exc.field_errors.items():
        target, name = form, service_field.removeprefix(prefix)
        head, _dot, tail = name.partition(".")
        if subforms and head in subforms and tail:
            target, name = subforms[head], tail
        for message in messages:
            target.add_error(name if name in target.fields else None, message)


def model_choices() -> list[tuple[str, str]]:
    """Models a request may name (retired ones are left out), marked when going away."""
    choices = []
    for m in usable_models():
        label = f"{m.name} ({m.id})"
        if m.is_going_away:
            label += f" - {m.stage}"
        choices.append((m.id, label))
    return choices


def thinking_choices() -> list[tuple[str, str]]:
    levels: list[str] = []
    for model in usable_models():
        levels += [level for level in model.thinking_levels if level not in levels]
    return [("", _("Model default")), *[(level, level) for level in levels]]


def ratio_choices() -> list[tuple[str, str]]:
    ratios: list[str] = []
    for model in get_registry().values():
        ratios += [r for r in model.aspect_ratios if r not in ratios]
    return [("", _("Model default")), *[(r, r) for r in ratios]]


def size_choices() -> list[tuple[str, str]]:
    return [("", _("Model default")), *[(s, s) for s in ("512", "1K", "2K", "4K")]]


class GenerationForm(forms.Form):
    """Prompt and parameters of one generation, validated against the model's capabilities."""

    prompt = forms.CharField(label=_("Prompt"), widget=forms.Textarea(attrs={"rows": 4}))
    model = forms.ChoiceField(label=_("Model"), choices=model_choices)
    aspect_ratio = forms.ChoiceField(label=_("Aspect ratio"), choices=ratio_choices, required=False)
    image_size = forms.ChoiceField(label=_("Image size"), choices=size_choices, required=False)
    seed = forms.IntegerField(label=_("Seed"), required=False, min_value=0, max_value=2**31 - 1)
    thinking_level = forms.ChoiceField(
        label=_("Thinking level"),
        choices=thinking_choices,
        required=False,
        help_text=_(
            "How much the model plans before drawing (models that take a level; "
            "thinking tokens are billed)."
        ),
    )
    grounding = forms.ChoiceField(
        label=_("Search grounding"),
        choices=GROUNDING_CHOICES,
        required=False,
        help_text=_(
            "Let the model look things up with Google Search first (models that "
            "support it; billed per grounded prompt). The search suggestions are "
            "shown with the image, as Google requires."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["model"].initial = nanobanana_settings.DEFAULT_MODEL

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        try:
            validate_params(self.generation_params())
        except (RequestValidationError, ConfigurationError) as exc:
            add_service_errors(self, exc)
        return data

    def generation_params(self) -> GenerationParams:
        data = self.cleaned_data
        return GenerationParams(
            prompt=data["prompt"],
            model=data.get("model") or None,
            aspect_ratio=data.get("aspect_ratio") or None,
            image_size=data.get("image_size") or None,
            seed=data.get("seed"),
            thinking_level=data.get("thinking_level") or None,
            grounding=data.get("grounding") or "",
        )
