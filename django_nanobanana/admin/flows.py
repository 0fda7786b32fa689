"""What the admin's pages of one image (:mod:`.actions`), its changelist actions
(:mod:`.bulk`) and its description views (:mod:`.descriptions`) share around a service
call: who asks, the references chosen on a form, a service error shown on the form, the
admin-log text of a generation and the URLs of an image's pages."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from .. import access
from ..exceptions import NanobananaError, RequestValidationError
from ..forms import add_service_errors, error_message
from ..ledger import client_ip
from ..models import AssetVersion, Source
from ..services import reference_from_asset, store_reference


def on_behalf_of(request: HttpRequest) -> dict[str, Any]:
    """Who asks, for a service call made from the admin (the audit trail's user and IP)."""
    return {"user": request.user, "source": Source.ADMIN, "client_ip": client_ip(request)}


def reference_ids(request: HttpRequest, form: forms.Form) -> tuple[str, ...]:
    """Store the chosen library images and uploads as references; their ids.

    Every reference is checked; what is wrong is reported on the field it came from and
    names the image or file ("photo.gif: ..."), all at once.
    """
    ids: list[str] = []
    errors: dict[str, list[str]] = {}

    def add(field: str, name: str, store: Any) -> None:
        try:
            ids.append(str(store().pk))
        except RequestValidationError as exc:
            for messages_ in exc.field_errors.values():
                errors.setdefault(field, []).extend(
                    f"{name}: {message}" if name and name not in str(message) else str(message)
                    for message in messages_
                )

    for asset in form.cleaned_data.get("reference_assets") or ():
        if not access.may_use_as_reference(request.user, asset):
            errors.setdefault("reference_assets", []).append(
                _("You may not use “%(title)s” as a reference.") % {"title": asset.title}
            )
            continue
        add(
            "reference_assets",
            asset.title,
            lambda asset=asset: reference_from_asset(asset, user=request.user),
        )
    for upload in form.cleaned_data.get("reference_uploads") or ():
        add(
            "reference_uploads",
            upload.name or "",
            lambda upload=upload: store_reference(
                upload.read(), user=request.user, name=upload.name or ""
            ),
        )
    if errors:
        raise RequestValidationError(errors)
    return tuple(ids)


def has_references(form: forms.Form) -> bool:
    data = form.cleaned_data
    return bool(data.get("reference_assets") or data.get("reference_uploads"))


def chosen_references(request: HttpRequest, form: forms.Form) -> tuple[str, ...]:
    """The form's references stored (:func:`reference_ids`), or none."""
    return reference_ids(request, form) if has_references(form) else ()


def form_error(
    request: HttpRequest,
    form: forms.Form,
    exc: NanobananaError,
    subforms: dict[str, forms.Form] | None = None,
) -> None:
    """A service error on the form. Input errors are shown once, on their fields; other
    errors (a budget, a provider) also as a message."""
    add_service_errors(form, exc, subforms=subforms)
    if not isinstance(exc, RequestValidationError):
        messages.error(request, error_message(exc))


def object_urls(
    model_admin: admin.ModelAdmin, routes: Iterable[tuple[str, Callable[..., Any], bool]]
) -> list[URLPattern]:
    """``<object_id>/<slug>/`` pages of one image, each ``(slug, view, post_only)``, named
    ``<app>_<model>_<slug>`` (dashes as underscores)."""
    prefix = f"{model_admin.opts.app_label}_{model_admin.opts.model_name}"
    wrap = model_admin.admin_site.admin_view
    return [
        path(
            f"<path:object_id>/{slug}/",
            wrap(require_POST(view) if post_only else view),
            name=f"{prefix}_{slug.replace('-', '_')}",
        )
        for slug, view, post_only in routes
    ]


def generated_log(version: AssetVersion) -> str:
    """The admin-log entry of a queued generation."""
    return _("Generated version %(version)s (%(model)s).") % {
        "version": version.pk,
        "model": version.model,
    }


#: Admin-log entries of a version made from another (``old``, ``new``: their ids), for the
#: pages of one image and the changelist actions alike.
REGENERATED_LOG = gettext_lazy("Regenerated version %(old)s as %(new)s.")
EDITED_LOG = gettext_lazy("Edited version %(old)s as %(new)s.")
