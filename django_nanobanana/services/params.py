"""What a generation request asks for, and whether it may be sent.

:class:`GenerationParams` is the request; :func:`validate_params` checks it against the
model's capabilities and the site's configuration before anything is spent. A request
made from a stored version (a regeneration, an edit) carries the version's parameters
over; when Google retired the version's model the replacement is used, with what it
lacks adapted and said in the request's notices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.utils.translation import gettext as _

from ..conf import nanobanana_settings
from ..exceptions import ConfigurationError, RequestValidationError
from ..models import AssetVersion
from ..providers import get_provider
from ..providers.models_registry import ModelCapabilities, get_model, resolve_model
from .webhooks import validate_webhook_url


@dataclass(frozen=True)
class GenerationParams:
    """What a caller asks for; validated by :func:`validate_params` before anything else."""

    prompt: str
    model: str | None = None
    aspect_ratio: str | None = None
    image_size: str | None = None
    seed: int | None = None
    provider: str | None = None
    thinking_level: str | None = None
    #: ids of :class:`~django_nanobanana.models.ReferenceImage` rows
    references: tuple[str, ...] = ()
    #: None: the site's PROMPT_CACHE setting decides
    use_cache: bool | None = None
    #: notified (signed POST) when the version is finished; must be allow-listed
    webhook_url: str | None = None
    #: Google Search grounding: "" (none), "web" or "web+image" (models that support it)
    grounding: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    #: What the editor should be told about this request (a deprecated model, a retired
    #: model replaced); stored with the version and its audit record.
    notices: tuple[str, ...] = ()

    def resolved_model(self) -> str:
        return self.model or nanobanana_settings.DEFAULT_MODEL

    def resolved_provider(self) -> str:
        return self.provider or nanobanana_settings.DEFAULT_PROVIDER


#: The parameters of a request a caller chooses (fields of :class:`GenerationParams`), in
#: the order the admin's forms and the API's versions show them.
REQUEST_FIELDS = (
    "prompt",
    "model",
    "aspect_ratio",
    "image_size",
    "seed",
    "thinking_level",
    "grounding",
)


def validate_params(
    params: GenerationParams,
    *,
    reference_count: int | None = None,
    reference_sizes: Sequence[int] = (),
) -> ModelCapabilities:
    """Check a request against the model's capabilities and the site's configuration.

    ``reference_sizes`` (bytes of each reference) are checked against the model's limits
    for this provider (uploadable through the Files API, or inline only).
    Raises :class:`RequestValidationError` (bad input, every field at once) or
    :class:`ConfigurationError` (unknown provider, no API key) before anything is spent.
    """
    validate_webhook_url(params.webhook_url)
    capabilities = get_model(params.resolved_model())  # a retired id: refused, naming its
    provider = get_provider(params.resolved_provider())  # replacement
    capabilities.validate(
        aspect_ratio=params.aspect_ratio,
        image_size=params.image_size,
        prompt=params.prompt,
        thinking_level=params.thinking_level,
        grounding=params.grounding,
        reference_count=len(params.references) if reference_count is None else reference_count,
        reference_sizes=tuple(reference_sizes),
        **provider.reference_limits(),
    )
    if not provider.api_key and provider.config.get("AUTH") != "google-auth":
        env = provider.config.get("API_KEY_ENV")
        raise ConfigurationError(
            _("No API key is configured for provider %(alias)s (set %(env)s).")
            % {"alias": provider.alias, "env": env or "API_KEY"}
        )
    allowed = provider.config.get("MODELS")
    if allowed and capabilities.id not in allowed:
        raise RequestValidationError(
            {
                "model": [
                    _("Provider %(alias)s does not serve %(model)s; it serves: %(allowed)s.")
                    % {
                        "alias": provider.alias,
                        "model": capabilities.id,
                        "allowed": ", ".join(allowed),
                    }
                ]
            }
        )
    return capabilities


def edit_params(
    version: AssetVersion,
    *,
    instruction: str,
    references: Sequence[str] = (),
    webhook_url: str | None = None,
) -> GenerationParams:
    """The request an edit of ``version`` makes: its model (or, when Google retired it, the
    replacement, with ratio and size adapted), ratio, size and provider, with the notices to
    show. One rule for :func:`~.requests.edit` and the forms that validate an edit before
    it."""
    params = params_from(
        version,
        prompt=instruction,
        references=tuple(references),
        use_cache=False,
        webhook_url=webhook_url,
    )
    return with_lifecycle_notices(params)


def params_from(version: AssetVersion, **values: Any) -> GenerationParams:
    """The request ``version`` made (its prompt, model, ratio, size, provider), with
    ``values`` set; a model Google has retired is replaced (:func:`_carried_over`)."""
    stored: dict[str, Any] = {
        "prompt": version.prompt,
        "model": version.model,
        "aspect_ratio": version.aspect_ratio or None,
        "image_size": version.image_size or None,
        "provider": version.provider,
    }
    return _carried_over(version, GenerationParams(**{**stored, **values}))


def with_lifecycle_notices(params: GenerationParams) -> GenerationParams:
    """``params`` with a notice added when its model is deprecated or legacy."""
    return replace(params, notices=(*params.notices, *_lifecycle_notices(params)))


def _lifecycle_notices(params: GenerationParams) -> tuple[str, ...]:
    """A deprecated or legacy model still works; say when it goes away (a retired or
    unknown model is refused later, by validation)."""
    try:
        model = get_model(params.resolved_model())
    except RequestValidationError:
        return ()
    notice = model.lifecycle_notice() if model.is_going_away else None
    return (notice,) if notice else ()


def _carried_over(version: AssetVersion, params: GenerationParams) -> GenerationParams:
    """Parameters of a stored version for a new request from it: a model Google has
    retired is replaced (ratio, size and thinking level adapted where the replacement
    lacks them), and the returned params say so in their notices."""
    model, replaced = resolve_model(version.model)
    if replaced is None:
        return params
    changes: dict[str, Any] = {"model": model.id}
    notes = [
        _("%(old)s was retired by Google; this version uses its replacement, %(new)s.")
        % {"old": replaced, "new": model.id}
    ]
    if params.aspect_ratio and params.aspect_ratio not in model.aspect_ratios:
        changes["aspect_ratio"] = None
        notes.append(
            _("Aspect ratio %(value)s is not offered by %(model)s: the model's default is used.")
            % {"value": params.aspect_ratio, "model": model.id}
        )
    if params.image_size and params.image_size not in model.image_sizes:
        changes["image_size"] = model.default_image_size if model.image_sizes else None
        notes.append(
            _("Image size %(value)s is not offered by %(model)s: %(size)s is used.")
            % {
                "value": params.image_size,
                "model": model.id,
                "size": changes["image_size"] or _("its fixed size"),
            }
        )
    if params.thinking_level and params.thinking_level not in model.thinking_levels:
        changes["thinking_level"] = None
    if params.grounding and not set(params.grounding.split("+")) <= set(model.grounding):
        changes["grounding"] = ""
        notes.append(
            _("%(model)s has no search grounding of this kind; it is left out.")
            % {"model": model.id}
        )
    return replace(params, **changes, notices=(*params.notices, *map(str, notes)))
