"""The asset admin's pages of one image: Generate, Regenerate, Edit with an instruction,
Re-render overlay, Make current and Cancel; the changelist actions that do the same to
several images at once are in :mod:`.bulk`.

Both end in the same flows, which call the services and nothing else: the request queues
work and returns at once. Every action is written to Django's admin log; the services
write the audit trail (``user`` and ``client_ip`` are passed on). Service errors (bad
ratio for the model, over budget, no API key, a version in the wrong state) come back as
form errors and admin messages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, reverse
from django.utils.translation import gettext as _

from .. import access
from ..exceptions import NanobananaError
from ..forms import error_message
from ..models import AssetVersion, GeneratedAsset, State
from ..pictures import overlay_warning
from ..services import (
    cancel,
    edit,
    generate,
    regenerate,
    rerender_overlay,
    revert,
)
from ..services.assets import default_base_version
from .flows import (
    EDITED_LOG,
    REGENERATED_LOG,
    chosen_references,
    form_error,
    generated_log,
    has_references,
    object_urls,
    on_behalf_of,
    reference_ids,
)
from .forms import (
    BulkRegenerateForm,
    EditForm,
    GenerateForm,
    NewImageForm,
    RegenerateForm,
    capabilities_json,
)
from .overlay_form import OverlayForm
from .views import preview_overlay

GENERATE = access.GENERATE


class AssetActionsMixin:
    """Views of one image, and the flows they share with the changelist actions
    (:class:`~.bulk.BulkActionsMixin`), for :class:`~.assets.GeneratedAssetAdmin`."""

    admin_site: admin.AdminSite
    model: type[GeneratedAsset]
    opts: Any

    # -- permissions -------------------------------------------------------------------------

    def has_generate_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Spending money: ``nanobanana.generate`` plus the right to change the image."""
        if obj is None:
            return access.may_any(request.user, "regenerate")
        return access.may_regenerate(request.user, obj)

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

    def _act(
        self,
        request: HttpRequest,
        asset: GeneratedAsset,
        call: Callable[[], Any],
        *,
        log: str,
        done: str,
        refusal: Callable[[NanobananaError], str] = error_message,
    ) -> HttpResponse:
        """A button of the change page: call the service; its refusal as an error message
        (``refusal`` words it), else the admin log entry and ``done``; back to the page."""
        try:
            call()
        except NanobananaError as exc:
            messages.error(request, refusal(exc))
        else:
            self._log(request, asset, log)
            messages.success(request, done)
        return HttpResponseRedirect(self._change_url(asset))

    # -- the flows (shared by pages and changelist actions) ----------------------------------

    def _generate(
        self,
        request: HttpRequest,
        asset: GeneratedAsset | None,
        form: GenerateForm,
        overlay: dict | None = None,
    ) -> AssetVersion:
        params = replace(form.generation_params(), references=chosen_references(request, form))
        data = form.cleaned_data
        return generate(
            params,
            asset=asset,
            title=data.get("title", ""),
            alt_text=data.get("alt_text", ""),
            overlay=overlay,
            **on_behalf_of(request),
        )

    @staticmethod
    def _regenerate_changes(
        request: HttpRequest, form: RegenerateForm | BulkRegenerateForm
    ) -> dict[str, Any]:
        """The form's changes; references only when some were chosen (else the version's)."""
        changes = form.changes()
        if has_references(form):
            changes["references"] = reference_ids(request, form)
        return changes

    def _regenerate(
        self, request: HttpRequest, version: AssetVersion, form: RegenerateForm
    ) -> AssetVersion:
        changes = self._regenerate_changes(request, form)
        return regenerate(version, changes=changes, **on_behalf_of(request))

    def _edit(self, request: HttpRequest, version: AssetVersion, form: EditForm) -> AssetVersion:
        return edit(
            version,
            instruction=form.cleaned_data["instruction"],
            references=chosen_references(request, form),
            **on_behalf_of(request),
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
                    self.log_addition(request, asset, generated_log(version))  # type: ignore[attr-defined]
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
                    self._log(request, asset, generated_log(version))
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
            log=REGENERATED_LOG,
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
            log=EDITED_LOG,
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
        if not spec or version is None or not version.original:
            return
        try:
            result = preview_overlay(version, spec)
        except Exception:  # the renditions report it; a warning must not break the save
            return
        warning = overlay_warning(result.contrast)
        if warning:
            messages.warning(request, warning)

    def _posted_version(self, request: HttpRequest, asset: GeneratedAsset) -> AssetVersion:
        """The version a history button names (none or a malformed one: 404)."""
        return self._version(asset, request.POST.get("version", "") or "-")

    def make_current_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        asset = self._asset(request, object_id)
        self._require(self.has_change_permission(request, asset))  # type: ignore[attr-defined]
        version = self._posted_version(request, asset)
        return self._act(
            request,
            asset,
            lambda: revert(asset, version, user=request.user),
            log=_("Made version %(version)s current.") % {"version": version.pk},
            done=_("That version is the current image now."),
        )

    def cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        asset = self._asset(request, object_id)
        self._require(self.has_change_permission(request, asset))  # type: ignore[attr-defined]
        version = self._posted_version(request, asset)
        return self._act(
            request,
            asset,
            lambda: cancel(version, user=request.user),
            log=_("Cancelled version %(version)s.") % {"version": version.pk},
            done=_("Cancelled."),
        )

    def object_action_urls(self) -> list[URLPattern]:
        return object_urls(
            self,  # type: ignore[arg-type]
            [
                ("generate", self.generate_view, False),
                ("regenerate", self.regenerate_view, False),
                ("edit", self.edit_view, False),
                ("overlay", self.overlay_view, False),
                ("make-current", self.make_current_view, True),
                ("cancel", self.cancel_view, True),
            ],
        )
