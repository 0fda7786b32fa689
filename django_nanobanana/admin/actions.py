"""The asset admin's actions: Generate, Regenerate, Edit with an instruction, Re-render
overlay, Make current and Cancel.

Each exists as a changelist action (several images at once, through an intermediate form)
and as a page or button of one image. Both end in the same helpers, which call the
services and nothing else: the request queues work and returns at once. Every action is
written to Django's admin log; the services write the audit trail (``user`` and
``client_ip`` are passed on). Service errors (bad ratio for the model, over budget, no
API key, a version in the wrong state) come back as form errors and admin messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from .. import access
from ..exceptions import NanobananaError, RequestValidationError
from ..forms import add_service_errors, error_message
from ..ledger import client_ip
from ..models import AssetVersion, GeneratedAsset, Source, State
from ..pictures import overlay_warning
from ..services import (
    cancel,
    edit,
    generate,
    reference_from_asset,
    regenerate,
    rerender_overlay,
    revert,
    store_reference,
)
from ..services.assets import default_base_version
from .forms import (
    BulkRegenerateForm,
    EditForm,
    GenerateForm,
    NewImageForm,
    OverlayForm,
    RegenerateForm,
    capabilities_json,
)

GENERATE = access.GENERATE


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


def has_references(form: forms.Form) -> bool:
    data = form.cleaned_data
    return bool(data.get("reference_assets") or data.get("reference_uploads"))


class AssetActionsMixin:
    """Views and changelist actions of :class:`~.assets.GeneratedAssetAdmin`."""

    admin_site: admin.AdminSite
    model: type[GeneratedAsset]
    opts: Any

    # -- permissions -------------------------------------------------------------------------

    def has_generate_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Spending money: ``nanobanana.generate`` plus the right to change the image."""
        if obj is None:
            return access.may_any(request.user, "regenerate")
        return access.may_regenerate(request.user, obj)

    def _allowed(
        self, request: HttpRequest, assets: Sequence[GeneratedAsset], action: str
    ) -> list[GeneratedAsset]:
        """The selected images ``action`` is allowed on; a message names the others."""
        allowed = [a for a in assets if access.may(request.user, a, action)]
        refused = [a.title for a in assets if a not in allowed]
        if refused:
            messages.error(
                request, _("You may not do this to: %(titles)s.") % {"titles": ", ".join(refused)}
            )
        return allowed

    def _require(self, allowed: bool) -> None:
        if not allowed:
            raise PermissionDenied

    # -- helpers -----------------------------------------------------------------------------

    def _asset(self, request: HttpRequest, object_id: str) -> GeneratedAsset:
        asset = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        if asset is None:
            raise Http404(_("This image does not exist (any more)."))
        return asset

    def _version(self, asset: GeneratedAsset, version_id: Any) -> AssetVersion:
        if not version_id:
            version = default_base_version(asset)
        else:
            try:
                version = asset.versions.filter(pk=version_id).first()
            except Exception:  # a malformed id
                version = None
        if version is None:
            raise Http404(_("This version does not exist."))
        return version

    def _change_url(self, asset: GeneratedAsset) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            args=[quote(asset.pk)],
            current_app=self.admin_site.name,
        )

    def _render_form(
        self,
        request: HttpRequest,
        *,
        title: str,
        form: forms.Form,
        assets: Sequence[GeneratedAsset],
        submit: str,
        overlay_form: OverlayForm | None = None,
        action: str = "",
        version: AssetVersion | None = None,
        help_text: str = "",
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "form": form,
            "overlay_form": overlay_form,
            "assets": assets,
            "version": version,
            "action": action,
            "selected": [str(a.pk) for a in assets] if action else [],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "submit_label": submit,
            "help_text": help_text,
            "capabilities": capabilities_json(),
            "media": self.media + form.media,  # type: ignore[attr-defined]
            "has_errors": bool(form.errors or (overlay_form and overlay_form.errors)),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/nanobanana/action_form.html", context)

    def _log(self, request: HttpRequest, asset: GeneratedAsset, message: str) -> None:
        self.log_change(request, asset, message)  # type: ignore[attr-defined]

    # -- the flows (shared by pages and changelist actions) ----------------------------------

    def _generate(
        self,
        request: HttpRequest,
        asset: GeneratedAsset | None,
        form: GenerateForm,
        overlay: dict | None = None,
    ) -> AssetVersion:
        params = form.generation_params()
        if has_references(form):
            from dataclasses import replace

            params = replace(params, references=reference_ids(request, form))
        data = form.cleaned_data
        return generate(
            params,
            asset=asset,
            title=data.get("title", ""),
            alt_text=data.get("alt_text", ""),
            overlay=overlay,
            user=request.user,
            source=Source.ADMIN,
            client_ip=client_ip(request),
        )

    def _regenerate(
        self, request: HttpRequest, version: AssetVersion, form: RegenerateForm | BulkRegenerateForm
    ) -> AssetVersion:
        changes = form.changes()
        if has_references(form):
            changes["references"] = reference_ids(request, form)
        return regenerate(
            version,
            changes=changes,
            user=request.user,
            source=Source.ADMIN,
            client_ip=client_ip(request),
        )

    def _edit(self, request: HttpRequest, version: AssetVersion, form: EditForm) -> AssetVersion:
        refs = reference_ids(request, form) if has_references(form) else ()
        return edit(
            version,
            instruction=form.cleaned_data["instruction"],
            references=refs,
            user=request.user,
            source=Source.ADMIN,
            client_ip=client_ip(request),
        )

    # -- add page: a new image is a generation ------------------------------------------------

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        self._require(self.has_add_permission(request))  # type: ignore[attr-defined]
        if request.method == "POST":
            form = NewImageForm(request.POST, request.FILES, user=request.user)
            overlay_form = OverlayForm(request.POST, prefix="overlay")
            if form.is_valid() & overlay_form.is_valid():
                try:
                    version = self._generate(request, None, form, overlay_form.spec())
                except NanobananaError as exc:
                    form_error(request, form, exc, subforms={"overlay": overlay_form})
                else:
                    asset = version.asset
                    self.log_addition(  # type: ignore[attr-defined]
                        request,
                        asset,
                        _("Generated version %(version)s (%(model)s).")
                        % {"version": version.pk, "model": version.model},
                    )
                    messages.success(
                        request,
                        _(
                            "“%(title)s”: generation queued. The image appears on this page "
                            "when it is ready."
                        )
                        % {"title": asset.title},
                    )
                    return HttpResponseRedirect(self._change_url(asset))
        else:
            form = NewImageForm(user=request.user)
            overlay_form = OverlayForm(prefix="overlay")
        return self._render_form(
            request,
            title=_("New generated image"),
            form=form,
            assets=[],
            overlay_form=overlay_form,
            submit=_("Generate"),
        )

    # -- pages of one image --------------------------------------------------------------------

    def generate_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        asset = self._asset(request, object_id)
        self._require(self.has_generate_permission(request, asset))
        if request.method == "POST":
            form = GenerateForm(request.POST, request.FILES, user=request.user)
            if form.is_valid():
                try:
                    version = self._generate(request, asset, form)
                except NanobananaError as exc:
                    form_error(request, form, exc)
                else:
                    self._log(
                        request,
                        asset,
                        _("Generated version %(version)s (%(model)s).")
                        % {"version": version.pk, "model": version.model},
                    )
                    messages.success(request, _("Generation queued."))
                    return HttpResponseRedirect(self._change_url(asset))
        else:
            current = asset.current_version
            initial = {}
            if current is not None:
                initial = {
                    "prompt": current.prompt,
                    "model": current.model,
                    "aspect_ratio": current.aspect_ratio,
                    "image_size": current.image_size,
                }
            form = GenerateForm(initial=initial, user=request.user)
        return self._render_form(
            request,
            title=_("Generate a new version of “%(title)s”") % {"title": asset.title},
            form=form,
            assets=[asset],
            submit=_("Generate"),
        )

    def regenerate_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._version_action_view(
            request,
            object_id,
            form_class=RegenerateForm,
            run=self._regenerate,
            log=_("Regenerated version %(old)s as %(new)s."),
            done=_("Regeneration queued."),
            title=_("Regenerate “%(title)s”"),
            submit=_("Regenerate"),
            help_text=_("A new version with the same request, or with what you change here."),
        )

    def edit_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._version_action_view(
            request,
            object_id,
            form_class=EditForm,
            run=self._edit,
            log=_("Edited version %(old)s as %(new)s."),
            done=_("Edit queued."),
            title=_("Edit “%(title)s” with an instruction"),
            submit=_("Edit"),
            help_text=_("The model continues from this version and changes what you ask."),
            warn_unfinished=True,
        )

    def _version_action_view(
        self,
        request: HttpRequest,
        object_id: str,
        *,
        form_class: Any,
        run: Any,
        log: str,
        done: str,
        title: str,
        submit: str,
        help_text: str,
        warn_unfinished: bool = False,
    ) -> HttpResponse:
        """An intermediate form acting on one version (regenerate, edit): validate, call
        the service, log, redirect at once; service errors land on the form."""
        asset = self._asset(request, object_id)
        self._require(self.has_generate_permission(request, asset))
        version = self._version(asset, request.GET.get("version") or request.POST.get("from"))
        if request.method == "POST":
            form = form_class(request.POST, request.FILES, version=version, user=request.user)
            if form.is_valid():
                try:
                    new = run(request, version, form)
                except NanobananaError as exc:
                    form_error(request, form, exc)
                else:
                    self._log(request, asset, log % {"old": version.pk, "new": new.pk})
                    messages.success(request, done)
                    return HttpResponseRedirect(self._change_url(asset))
        else:
            form = form_class(version=version, user=request.user)
            if warn_unfinished and version.state != State.SUCCEEDED:
                messages.warning(
                    request,
                    _("Only a finished image can be edited; this version is %(state)s.")
                    % {"state": version.get_state_display()},
                )
        return self._render_form(
            request,
            title=title % {"title": asset.title},
            form=form,
            assets=[asset],
            version=version,
            submit=submit,
            help_text=help_text,
        )

    def overlay_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Save the overlay (from the change page's editor): re-render, no generation."""
        asset = self._asset(request, object_id)
        self._require(self.has_change_permission(request, asset))  # type: ignore[attr-defined]
        current = asset.current_version
        size = (current.width, current.height) if current and current.width else None
        if request.method == "POST":
            form = OverlayForm(request.POST, prefix="overlay", image_size=size)
            if form.is_valid():
                try:
                    rerender_overlay(asset, form.spec(), user=request.user)
                except NanobananaError as exc:
                    form_error(request, form, exc, subforms={"overlay": form})
                else:
                    self._log(
                        request,
                        asset,
                        _("Changed the text overlay.")
                        if form.spec()
                        else _("Removed the text overlay."),
                    )
                    messages.success(
                        request,
                        _(
                            "Overlay saved; the renditions are being re-rendered (no new "
                            "generation, no cost)."
                        ),
                    )
                    self._warn_if_illegible(request, current, form.spec())
                    return HttpResponseRedirect(self._change_url(asset))
        else:
            form = OverlayForm(
                prefix="overlay", image_size=size, initial=OverlayForm.initial_from(asset.overlay)
            )
        return self._render_form(
            request,
            title=_("Text overlay of “%(title)s”") % {"title": asset.title},
            form=forms.Form(),
            overlay_form=form,
            assets=[asset],
            submit=_("Save overlay"),
        )

    @staticmethod
    def _warn_if_illegible(
        request: HttpRequest, version: AssetVersion | None, spec: dict | None
    ) -> None:
        """Flag an overlay below 3:1 (measured on the preview) before the renditions land."""
        from .views import preview_overlay  # the views import this module's forms

        if not spec or version is None or not version.original:
            return
        try:
            result = preview_overlay(version, spec)
        except Exception:  # the renditions report it; a warning must not break the save
            return
        warning = overlay_warning(result.contrast)
        if warning:
            messages.warning(request, warning)

    @staticmethod
    def _posted_version(request: HttpRequest) -> str:
        return request.POST.get("version", "")

    def make_current_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        asset = self._asset(request, object_id)
        self._require(self.has_change_permission(request, asset))  # type: ignore[attr-defined]
        version = self._version(asset, self._posted_version(request) or "-")
        try:
            revert(asset, version, user=request.user)
        except NanobananaError as exc:
            messages.error(request, error_message(exc))
        else:
            self._log(
                request, asset, _("Made version %(version)s current.") % {"version": version.pk}
            )
            messages.success(request, _("That version is the current image now."))
        return HttpResponseRedirect(self._change_url(asset))

    def cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        asset = self._asset(request, object_id)
        self._require(self.has_change_permission(request, asset))  # type: ignore[attr-defined]
        version = self._version(asset, self._posted_version(request) or "-")
        try:
            cancel(version, user=request.user)
        except NanobananaError as exc:
            messages.error(request, error_message(exc))
        else:
            self._log(request, asset, _("Cancelled version %(version)s.") % {"version": version.pk})
            messages.success(request, _("Cancelled."))
        return HttpResponseRedirect(self._change_url(asset))

    def object_action_urls(self) -> list[Any]:
        from django.urls import path

        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/generate/", wrap(self.generate_view), name=f"{prefix}_generate"),
            path(
                "<path:object_id>/regenerate/",
                wrap(self.regenerate_view),
                name=f"{prefix}_regenerate",
            ),
            path("<path:object_id>/edit/", wrap(self.edit_view), name=f"{prefix}_edit"),
            path("<path:object_id>/overlay/", wrap(self.overlay_view), name=f"{prefix}_overlay"),
            path(
                "<path:object_id>/make-current/",
                wrap(require_POST(self.make_current_view)),
                name=f"{prefix}_make_current",
            ),
            path(
                "<path:object_id>/cancel/",
                wrap(require_POST(self.cancel_view)),
                name=f"{prefix}_cancel",
            ),
        ]

    # -- changelist actions ------------------------------------------------------------------

    def _bulk(
        self,
        request: HttpRequest,
        assets: Sequence[GeneratedAsset],
        run: Any,
        done: str,
        *,
        action: str = "regenerate",
    ) -> None:
        """Run ``run(asset)`` for each image ``action`` is allowed on; one message for the
        queued, one per failure."""
        assets = self._allowed(request, assets, action)
        queued = 0
        for asset in assets:
            try:
                log = run(asset)
            except NanobananaError as exc:
                messages.error(request, f"{asset.title}: {error_message(exc)}")
            except Http404 as exc:
                messages.error(request, f"{asset.title}: {exc}")
            else:
                queued += 1
                self._log(request, asset, log)
        if queued:
            messages.success(request, done % {"count": queued})

    def _is_apply(self, request: HttpRequest) -> bool:
        return request.method == "POST" and "apply" in request.POST

    @admin.action(description=gettext_lazy("Generate a new version…"), permissions=["generate"])
    def generate_action(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        assets = list(queryset)
        form = (
            GenerateForm(request.POST, request.FILES, user=request.user)
            if self._is_apply(request)
            else GenerateForm(user=request.user)
        )
        if form.is_bound and form.is_valid():
            try:
                refs = reference_ids(request, form) if has_references(form) else ()
            except NanobananaError as exc:
                add_service_errors(form, exc)
            else:
                from dataclasses import replace

                params = replace(form.generation_params(), references=refs)

                def run(asset: GeneratedAsset) -> str:
                    version = generate(
                        params,
                        asset=asset,
                        user=request.user,
                        source=Source.ADMIN,
                        client_ip=client_ip(request),
                    )
                    return _("Generated version %(version)s (%(model)s).") % {
                        "version": version.pk,
                        "model": version.model,
                    }

                self._bulk(
                    request,
                    assets,
                    run,
                    ngettext(
                        "Generation queued for %(count)d image.",
                        "Generation queued for %(count)d images.",
                        len(assets),
                    ),
                )
                return None
        return self._render_form(
            request,
            title=_("Generate new versions"),
            form=form,
            assets=assets,
            action="generate_action",
            submit=_("Generate"),
        )

    @admin.action(description=gettext_lazy("Regenerate…"), permissions=["generate"])
    def regenerate_action(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        assets = list(queryset.select_related("current_version"))
        form = (
            BulkRegenerateForm(request.POST, request.FILES, user=request.user)
            if self._is_apply(request)
            else BulkRegenerateForm(user=request.user)
        )
        if form.is_bound and form.is_valid():
            changes = form.changes()
            try:
                if has_references(form):
                    changes["references"] = reference_ids(request, form)
            except NanobananaError as exc:
                add_service_errors(form, exc)
            else:

                def run(asset: GeneratedAsset) -> str:
                    version = self._version(asset, None)
                    new = regenerate(
                        version,
                        changes=changes,
                        user=request.user,
                        source=Source.ADMIN,
                        client_ip=client_ip(request),
                    )
                    return _("Regenerated version %(old)s as %(new)s.") % {
                        "old": version.pk,
                        "new": new.pk,
                    }

                self._bulk(
                    request,
                    assets,
                    run,
                    ngettext(
                        "Regeneration queued for %(count)d image.",
                        "Regeneration queued for %(count)d images.",
                        len(assets),
                    ),
                )
                return None
        return self._render_form(
            request,
            title=_("Regenerate images"),
            form=form,
            assets=assets,
            action="regenerate_action",
            submit=_("Regenerate"),
        )

    @admin.action(description=gettext_lazy("Edit with an instruction…"), permissions=["generate"])
    def edit_action(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        assets = list(queryset.select_related("current_version"))
        form = (
            EditForm(request.POST, request.FILES, user=request.user)
            if self._is_apply(request)
            else EditForm(user=request.user)
        )
        if form.is_bound and form.is_valid():
            try:
                refs = reference_ids(request, form) if has_references(form) else ()
            except NanobananaError as exc:
                add_service_errors(form, exc)
            else:

                def run(asset: GeneratedAsset) -> str:
                    version = self._version(asset, None)
                    new = edit(
                        version,
                        instruction=form.cleaned_data["instruction"],
                        references=refs,
                        user=request.user,
                        source=Source.ADMIN,
                        client_ip=client_ip(request),
                    )
                    return _("Edited version %(old)s as %(new)s.") % {
                        "old": version.pk,
                        "new": new.pk,
                    }

                self._bulk(
                    request,
                    assets,
                    run,
                    ngettext(
                        "Edit queued for %(count)d image.",
                        "Edits queued for %(count)d images.",
                        len(assets),
                    ),
                )
                return None
        return self._render_form(
            request,
            title=_("Edit images with an instruction"),
            form=form,
            assets=assets,
            action="edit_action",
            submit=_("Edit"),
        )

    @admin.action(description=gettext_lazy("Re-render text overlay…"), permissions=["change"])
    def overlay_action(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        assets = list(queryset.select_related("current_version"))
        form = (
            OverlayForm(request.POST, prefix="overlay")
            if self._is_apply(request)
            else OverlayForm(prefix="overlay")
        )
        if form.is_bound and form.is_valid():
            spec = form.spec()

            def run(asset: GeneratedAsset) -> str:
                rerender_overlay(asset, spec, user=request.user)
                return _("Changed the text overlay.") if spec else _("Removed the text overlay.")

            self._bulk(
                request,
                assets,
                run,
                ngettext(
                    "Overlay re-rendering queued for %(count)d image.",
                    "Overlay re-rendering queued for %(count)d images.",
                    len(assets),
                ),
                action="change",
            )
            return None
        return self._render_form(
            request,
            title=_("Re-render text overlay"),
            form=forms.Form(),
            overlay_form=form,
            assets=assets,
            action="overlay_action",
            submit=_("Save overlay"),
        )
