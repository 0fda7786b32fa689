"""Forms shared by the admin and the integrations; they validate, the services act."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .conf import nanobanana_settings
from .exceptions import ConfigurationError, RequestValidationError
from .providers.models_registry import get_registry
from .services import GenerationParams, validate_params


def model_choices() -> list[tuple[str, str]]:
    return [(m.id, f"{m.name} ({m.id})") for m in get_registry().values()]


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
    aspect_ratio = forms.ChoiceField(label=_("Aspect ratio"), choices=ratio_choices,
                                     required=False)
    image_size = forms.ChoiceField(label=_("Image size"), choices=size_choices, required=False)
    seed = forms.IntegerField(label=_("Seed"), required=False, min_value=0,
                              max_value=2**31 - 1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["model"].initial = nanobanana_settings.DEFAULT_MODEL

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        params = self.generation_params()
        try:
            validate_params(params)
        except RequestValidationError as exc:
            for field, messages in exc.field_errors.items():
                target = field if field in self.fields else None
                for message in messages:
                    self.add_error(target, message)
        except ConfigurationError as exc:
            raise forms.ValidationError(str(exc), code="configuration") from None
        return data

    def generation_params(self) -> GenerationParams:
        data = self.cleaned_data
        return GenerationParams(
            prompt=data["prompt"],
            model=data.get("model") or None,
            aspect_ratio=data.get("aspect_ratio") or None,
            image_size=data.get("image_size") or None,
            seed=data.get("seed"),
        )
