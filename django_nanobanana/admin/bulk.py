"""Changelist actions: the same work as the pages of one image, on every selected image.

:func:`run_bulk` is the one loop: it runs a service step per selected object, reports
each refusal as an error message naming the object, writes the admin log and ends with one
success message for those done. An action through an intermediate form (Generate,
Regenerate, Edit, Re-render overlay) is :meth:`BulkActionsMixin._form_action` plus the
step it runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from functools import partial
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .. import access
from ..exceptions import NanobananaError
from ..forms import add_service_errors, error_message
from ..models import GeneratedAsset
from ..services import edit, generate, regenerate, rerender_overlay
from .actions import AssetActionsMixin
from .flows import EDITED_LOG, REGENERATED_LOG, chosen_references, generated_log, on_behalf_of
from .forms import BulkRegenerateForm, EditForm, GenerateForm
from .overlay_form import OverlayForm

#: A step of a bulk action: does the work for one object, returns the admin-log text (or
#: None: nothing to log).
Step = Callable[[Any], "str | None"]


class Refused(Exception):
    """Raised by a step to skip an object; the message is shown as it is."""


def run_bulk(
    request: HttpRequest,
    objects: Iterable[Any],
    step: Step,
    *,
    done: str,
    log: Callable[[Any, str], None] | None = None,
) -> int:
    """Run ``step`` for each object. A :class:`Refused` is shown as it is; a service error
    or a 404 as "<title>: <reason>"; the others are counted and their log text handed to
    ``log``. One success message, ``done % {"count": n}``, when any succeeded. Returns n."""
    succeeded = 0
    for obj in objects:
        try:
            entry = step(obj)
        except Refused as exc:
            messages.error(request, str(exc))
        except (NanobananaError, Http404) as exc:
            messages.error(request, f"{obj.title}: {error_message(exc)}")
        else:
            succeeded += 1
            if entry and log is not None:
                log(obj, entry)
    if succeeded:
        messages.success(request, done % {"count": succeeded})
    return succeeded


class BulkActionsMixin(AssetActionsMixin):
    """The changelist actions of :class:`~.assets.GeneratedAssetAdmin`."""

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

    def _form_action(
        self,
        request: HttpRequest,
        assets: Sequence[GeneratedAsset],
        *,
        form_class: type[forms.Form],
        start: Callable[[Any], Step],
        done: str,
        action: str,
        title: str,
        submit: str,
        permission: str = "regenerate",
        form_kwargs: dict[str, Any] | None = None,
        overlay: bool = False,
    ) -> HttpResponse | None:
        """A changelist action through an intermediate form. Applied with a valid form,
        ``start(form)`` prepares what all images share (the references, stored once) and
        returns the step run on each image ``permission`` allows; a refusal of that
        preparation goes on the form, shown again."""
        kwargs = {"user": request.user} if form_kwargs is None else form_kwargs
        if request.method == "POST" and "apply" in request.POST:
            form = form_class(request.POST, request.FILES, **kwargs)
        else:
            form = form_class(**kwargs)
        if form.is_bound and form.is_valid():
            try:
                step = start(form)
            except NanobananaError as exc:
                add_service_errors(form, exc)
            else:
                allowed = self._allowed(request, assets, permission)
                run_bulk(request, allowed, step, done=done, log=partial(self._log, request))
                return None
        return self._render_form(
            request,
            title=title,
            form=forms.Form() if overlay else form,
            overlay_form=form if overlay else None,  # type: ignore[arg-type]
            assets=assets,
            action=action,
            submit=submit,
        )

    @admin.action(description=gettext_lazy("Generate a new version…"), permissions=["generate"])
    def generate_action(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        assets = list(queryset)

        def start(form: GenerateForm) -> Step:
            params = replace(form.generation_params(), references=chosen_references(request, form))
            return lambda asset: generated_log(
                generate(params, asset=asset, **on_behalf_of(request))
            )

        return self._form_action(
            request,
            assets,
            form_class=GenerateForm,
            start=start,
            done=ngettext(
                "Generation queued for %(count)d image.",
                "Generation queued for %(count)d images.",
                len(assets),
            ),
            action="generate_action",
            title=_("Generate new versions"),
            submit=_("Generate"),
        )

    @admin.action(description=gettext_lazy("Regenerate…"), permissions=["generate"])
    def regenerate_action(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        assets = list(queryset.select_related("current_version"))

        def start(form: BulkRegenerateForm) -> Step:
            changes = self._regenerate_changes(request, form)

            def step(asset: GeneratedAsset) -> str:
                version = self._version(asset, None)
                new = regenerate(version, changes=changes, **on_behalf_of(request))
                return REGENERATED_LOG % {"old": version.pk, "new": new.pk}

            return step

        return self._form_action(
            request,
            assets,
            form_class=BulkRegenerateForm,
            start=start,
            done=ngettext(
                "Regeneration queued for %(count)d image.",
                "Regeneration queued for %(count)d images.",
                len(assets),
            ),
            action="regenerate_action",
            title=_("Regenerate images"),
            submit=_("Regenerate"),
        )

    @admin.action(description=gettext_lazy("Edit with an instruction…"), permissions=["generate"])
    def edit_action(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        assets = list(queryset.select_related("current_version"))

        def start(form: EditForm) -> Step:
            refs = chosen_references(request, form)
            instruction = form.cleaned_data["instruction"]

            def step(asset: GeneratedAsset) -> str:
                version = self._version(asset, None)
                new = edit(
                    version, instruction=instruction, references=refs, **on_behalf_of(request)
                )
                return EDITED_LOG % {"old": version.pk, "new": new.pk}

            return step

        return self._form_action(
            request,
            assets,
            form_class=EditForm,
            start=start,
            done=ngettext(
                "Edit queued for %(count)d image.",
                "Edits queued for %(count)d images.",
                len(assets),
            ),
            action="edit_action",
            title=_("Edit images with an instruction"),
            submit=_("Edit"),
        )

    @admin.action(description=gettext_lazy("Re-render text overlay…"), permissions=["change"])
    def overlay_action(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        assets = list(queryset.select_related("current_version"))

        def start(form: OverlayForm) -> Step:
            spec = form.spec()
            entry = _("Changed the text overlay.") if spec else _("Removed the text overlay.")

            def step(asset: GeneratedAsset) -> str:
                rerender_overlay(asset, spec, user=request.user)
                return entry

            return step

        return self._form_action(
            request,
            assets,
            form_class=OverlayForm,
            form_kwargs={"prefix": "overlay"},
            overlay=True,
            start=start,
            done=ngettext(
                "Overlay re-rendering queued for %(count)d image.",
                "Overlay re-rendering queued for %(count)d images.",
                len(assets),
            ),
            permission="change",
            action="overlay_action",
            title=_("Re-render text overlay"),
            submit=_("Save overlay"),
        )
