"""System checks (``manage.py check``): ``nanobanana.E0xx`` errors, ``nanobanana.W0xx`` warnings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string

from .conf import nanobanana_settings
from .exceptions import NanobananaError
from .imaging.overlay import fribidi_available, raqm_available
from .imaging.renditions import avif_available
from .providers.models_registry import get_registry, get_text_model, replacement_for
from .providers.ratelimit import limiter_is_shared, limiter_status
from .services.crops import breakpoints, crop_ratios
from .services.webhooks import allow_list_errors

DOCS = "See docs/configuration.md."
MODELS_DOCS = (
    "See docs/models.md; `manage.py nanobanana_models --check` asks Google which "
    "models this key can call."
)


@register(Tags.compatibility)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    messages: list[Any] = []
    unknown = nanobanana_settings._UNKNOWN_KEYS
    if unknown:
        messages.append(
            Warning(
                f"NANOBANANA has unknown keys: {', '.join(unknown)}.",
                hint=DOCS,
                id="nanobanana.W001",
            )
        )
    messages += _check_providers()
    messages += _check_models()
    messages += _check_storage()
    messages += _check_imaging()
    messages += _check_sharing()
    messages += _check_editors()
    return messages


def _check_editors() -> list[Any]:
    """The describe call's text model and provider (E020), the crop ratios (E021)."""

    messages: list[Any] = []
    try:
        get_text_model()
    except (NanobananaError, ValueError) as exc:
        messages.append(
            Error(
                f"NANOBANANA['DESCRIPTIONS']['MODEL']: {getattr(exc, 'message', exc)}",
                hint="See docs/editors.md.",
                id="nanobanana.E020",
            )
        )
    alias = nanobanana_settings.DESCRIPTIONS.get("PROVIDER")
    if alias and alias not in nanobanana_settings.PROVIDERS:
        messages.append(
            Error(
                f"NANOBANANA['DESCRIPTIONS']['PROVIDER'] names {alias!r}, which is not in "
                "PROVIDERS.",
                hint="See docs/editors.md.",
                id="nanobanana.E020",
            )
        )
    try:
        ratios = crop_ratios()
        unknown = [ratio for _media, ratio in breakpoints() if ratio not in ratios]
    except (ValueError, TypeError) as exc:
        messages.append(
            Error(f"NANOBANANA['CROPS']: {exc}", hint="See docs/editors.md.", id="nanobanana.E021")
        )
    else:
        if unknown:
            messages.append(
                Error(
                    f"NANOBANANA['CROPS']['BREAKPOINTS'] names ratios that are not in RATIOS: "
                    f"{', '.join(unknown)}.",
                    hint="See docs/editors.md.",
                    id="nanobanana.E021",
                )
            )
    return messages


def _check_sharing() -> list[Any]:
    """Settings that decide what crosses users or leaves the site."""
    messages: list[Any] = []
    scope = (nanobanana_settings.PROMPT_CACHE or {}).get("SCOPE", "owner")
    if scope not in ("owner", "site"):
        messages.append(
            Error(
                f"NANOBANANA['PROMPT_CACHE']['SCOPE'] is {scope!r}; use 'owner' or 'site'.",
                hint=DOCS,
                id="nanobanana.E010",
            )
        )
    for problem in allow_list_errors():
        messages.append(
            Error(f"NANOBANANA['WEBHOOKS']: {problem}", hint=DOCS, id="nanobanana.E011")
        )
    messages += _check_open_generation()
    return messages


def _api_mounted() -> bool:

    try:
        reverse("nanobanana-api:asset-list")
    except NoReverseMatch:
        return False
    except Exception:  # a broken URLconf is reported by Django's own checks
        return False
    return True


def _budget_for_everyone() -> bool:
    """A budget in ``NANOBANANA["BUDGETS"]`` that applies to every user: site-wide, or
    per user without naming one (each user gets it). Budgets made in the admin live in the
    database, which checks do not read."""
    for entry in nanobanana_settings.BUDGETS or ():
        if not isinstance(entry, dict):
            continue
        scope = entry.get("scope", "site")
        if scope == "site" or (scope == "user" and not entry.get("user")):
            return True
    return False


def _check_open_generation() -> list[Any]:
    """``REQUIRE_GENERATE_PERMISSION = False`` lets every logged-in user spend money; with
    the API mounted and no budget for everyone, nothing caps it."""
    if nanobanana_settings.REQUIRE_GENERATE_PERMISSION:
        return []
    if not _api_mounted() or _budget_for_everyone():
        return []
    return [
        Warning(
            "NANOBANANA['REQUIRE_GENERATE_PERMISSION'] is False and the REST API is mounted, "
            "but no budget applies to every user: any logged-in user can spend without limit.",
            hint="Add a site-wide or per-user entry to NANOBANANA['BUDGETS'], or require the "
            "nanobanana.generate permission. See docs/access.md.",
            id="nanobanana.W010",
        )
    ]


def _check_imaging() -> list[Any]:

    messages: list[Any] = []
    if not (raqm_available() and fribidi_available()):
        messages.append(
            Warning(
                "Pillow has no raqm/FriBiDi layout: Arabic, Hebrew and Devanagari overlays "
                "will not be shaped correctly.",
                hint="Use Pillow's binary wheels, or install libraqm and libfribidi "
                "(Debian: libraqm0 libfribidi0) before building Pillow.",
                id="nanobanana.W003",
            )
        )
    formats = {str(f).lower() for f in nanobanana_settings.RENDITION_FORMATS}
    if "avif" in formats and not avif_available():
        messages.append(
            Warning(
                "RENDITION_FORMATS includes AVIF but this Pillow cannot encode it; AVIF "
                "renditions are skipped.",
                hint="Pillow >= 11.3 wheels include AVIF.",
                id="nanobanana.W004",
            )
        )
    return messages


def _check_providers() -> list[Any]:
    messages: list[Any] = []
    providers = nanobanana_settings.PROVIDERS
    default = nanobanana_settings.DEFAULT_PROVIDER
    if default not in providers:
        messages.append(
            Error(
                f"DEFAULT_PROVIDER {default!r} is not one of PROVIDERS ({', '.join(providers)}).",
                hint=DOCS,
                id="nanobanana.E004",
            )
        )
    for alias, config in providers.items():
        try:
            backend = import_string(config["BACKEND"])
        except ImportError as exc:
            messages.append(
                Error(
                    f"Provider {alias!r}: cannot import BACKEND {config['BACKEND']!r} ({exc}).",
                    hint="Install the extra that provides it (e.g. django-nanobanana[vertex]).",
                    id="nanobanana.E005",
                )
            )
            continue
        try:
            backend.check_options(alias, nanobanana_settings._RAW_PROVIDERS.get(alias) or {})
        except ImproperlyConfigured as exc:
            messages.append(Error(str(exc), hint="See docs/providers.md.", id="nanobanana.E013"))
        messages += _check_limiter(alias, config)
        if config.get("AUTH") == "google-auth":
            continue  # Vertex AI uses service-account credentials, not a key
        if not nanobanana_settings.api_key(alias):
            env = config.get("API_KEY_ENV")
            text = (
                f"Provider {alias!r} has no API key: set the environment variable {env}"
                if env
                else f"Provider {alias!r} has no API key: set API_KEY or API_KEY_ENV"
            )
            cls, level = (Warning, "W") if settings.DEBUG else (Error, "E")
            messages.append(cls(f"{text}.", hint=DOCS, id=f"nanobanana.{level}002"))
    return messages


def _check_limiter(alias: str, config: dict[str, Any]) -> list[Any]:

    if limiter_is_shared(alias):
        return []
    status = limiter_status(str(config.get("RATE_LIMIT_BACKEND") or "default"))
    return [
        Warning(
            f"Provider {alias!r} has RATE_LIMITS but its limiter is not shared between "
            f"processes ({status.message}): N workers may together exceed the quota.",
            hint="Set RATE_LIMIT_BACKEND to a Redis URL or a Redis/Memcached cache alias "
            "(see docs/providers.md).",
            id="nanobanana.W005",
        )
    ]


def _check_models() -> list[Any]:
    """The default model and every provider's allowed models must exist and not be retired
    (an error naming the replacement); deprecated or legacy ones warn with their date."""

    try:
        registry = get_registry()
    except ValueError as exc:
        return [Error(f"NANOBANANA['MODELS'] is invalid: {exc}.", hint=DOCS, id="nanobanana.E006")]
    default = nanobanana_settings.DEFAULT_MODEL
    if default not in registry:
        return [
            Error(
                f"DEFAULT_MODEL {default!r} is not a known model "
                f"({', '.join(m for m in sorted(registry) if not registry[m].is_retired)}).",
                hint="Add it to NANOBANANA['MODELS'] (BASED_ON an existing model) if it is new.",
                id="nanobanana.E003",
            )
        ]
    named = {default: "DEFAULT_MODEL"}
    for alias, config in nanobanana_settings.PROVIDERS.items():
        for model_id in config.get("MODELS") or ():
            named.setdefault(model_id, f"PROVIDERS[{alias!r}]['MODELS']")
    messages: list[Any] = []
    for model_id, where in named.items():
        model = registry.get(model_id)
        if model is None:
            messages.append(
                Error(
                    f"{where} names {model_id!r}, which is not a known model.",
                    hint=MODELS_DOCS,
                    id="nanobanana.E003",
                )
            )
            continue
        target = replacement_for(model_id)
        move = f"Move to {target.id}." if target else "Choose a current model."
        if model.is_retired:
            messages.append(
                Error(
                    f"{where} is {model_id!r}, which Google retired on "
                    f"{model.shutdown or 'an earlier date'}: every request would fail. {move}",
                    hint=f"Set it to {target.id if target else 'a current model'}; " + MODELS_DOCS,
                    id="nanobanana.E012",
                )
            )
        elif model.is_going_away:
            if model.shutdown:
                when = (
                    f"shuts down on {model.shutdown}"
                    if model.shutdown_confirmed
                    else f"is reported to shut down on {model.shutdown}"
                )
            else:
                when = "has no announced shutdown date"
            messages.append(
                Warning(
                    f"{where} is {model_id!r}, which is {model.stage} and {when}. {move}",
                    hint=MODELS_DOCS,
                    id="nanobanana.W011",
                )
            )
    return messages


def _check_storage() -> list[Any]:
    alias = nanobanana_settings.STORAGE
    if alias not in (getattr(settings, "STORAGES", None) or {}):
        return [
            Error(
                f"NANOBANANA['STORAGE'] is {alias!r}, which is not a key of STORAGES.",
                hint="Name one of the STORAGES aliases (default: 'default').",
                id="nanobanana.E007",
            )
        ]
    return []
