"""Admin for money and audit: budgets are editable (``nanobanana.manage_budgets``); the
audit trail, the ledger and the folded usage totals are read-only for everyone
(``nanobanana.view_usage`` to see them): nothing there can be added, changed or deleted
from the app."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ..ledger import format_money, from_micros, window_counters
from ..models import AuditRecord, BatchJob, BilledCall, Budget, LedgerEntry, UsageTotal

VIEW_USAGE = "nanobanana.view_usage"
MANAGE_BUDGETS = "nanobanana.manage_budgets"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable with ``nanobanana.view_usage``; never added, changed or deleted."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(VIEW_USAGE)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "username",
        "source",
        "model",
        "outcome",
        "cost",
        "avoided_cost",
        "latency_ms",
        "attempts",
        "client_ip",
    )
    list_filter = ("outcome", "source", "model")
    search_fields = ("username", "prompt", "response_id", "version_id", "reason")
    date_hierarchy = "created_at"
    list_select_related = ()


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "kind",
        "username",
        "model",
        "source",
        "amount",
        "avoided",
        "images",
        "version_id",
    )
    list_filter = ("kind", "source", "model")
    search_fields = ("username", "version_id")
    date_hierarchy = "occurred_at"


@admin.register(BilledCall)
class BilledCallAdmin(ReadOnlyAdmin):
    """The attempt ledger: every answer the provider billed, one row each."""

    list_display = (
        "created_at",
        "username",
        "model",
        "kind",
        "attempt",
        "call",
        "note",
        "usage_known",
        "cost",
        "late",
        "version_id",
    )
    list_filter = ("kind", "note", "usage_known", "late", "model")
    search_fields = ("username", "version_id", "response_id", "batch_job")


@admin.register(BatchJob)
class BatchJobAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "name", "provider", "model", "state", "finished_at")
    list_filter = ("state", "model")
    search_fields = ("name", "display_name")


@admin.register(UsageTotal)
class UsageTotalAdmin(ReadOnlyAdmin):
    list_display = ("day", "username", "model", "source", "requests", "succeeded", "refused")
    list_filter = ("source", "model")
    search_fields = ("username",)
    date_hierarchy = "day"


@admin.register(Budget)
class BudgetAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "scope",
        "target",
        "period",
        "amount_limit",
        "image_limit",
        "current_window",
        "is_active",
        "from_settings",
    )
    list_filter = ("scope", "period", "is_active")
    search_fields = ("name", "user__username", "group__name")
    autocomplete_fields = ()
    raw_id_fields = ("user",)
    fields = (
        "name",
        "scope",
        "user",
        "group",
        "period",
        "amount_limit",
        "image_limit",
        "is_active",
        "settings_key",
        "current_window",
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None and obj.settings_key:
            # Declared in settings: the settings are the source of truth.
            return list(self.fields)
        return ["settings_key", "current_window"]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(MANAGE_BUDGETS) or request.user.has_perm(VIEW_USAGE)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(MANAGE_BUDGETS)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(MANAGE_BUDGETS)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.settings_key:
            return False
        return request.user.has_perm(MANAGE_BUDGETS)

    @admin.display(description=_("for"))
    def target(self, obj: Budget) -> str:
        return obj.describe()

    @admin.display(boolean=True, description=_("from settings"))
    def from_settings(self, obj: Budget) -> bool:
        return bool(obj.settings_key)

    @admin.display(description=_("used in the current window"))
    def current_window(self, obj: Budget) -> str:
        if obj.pk is None:
            return "—"
        counters, _start, end = window_counters(obj)
        if not any(
            c.spent_micros or c.reserved_micros or c.spent_images or c.reserved_images
            for c in counters
        ):
            return _("nothing yet (resets %(at)s)") % {"at": f"{end:%Y-%m-%d %H:%M %Z}"}
        spent = sum(c.spent_micros + c.reserved_micros for c in counters)
        images = sum(c.spent_images + c.reserved_images for c in counters)
        parts = []
        if obj.amount_limit is not None:
            parts.append(f"{format_money(from_micros(spent))} / {format_money(obj.amount_limit)}")
        if obj.image_limit is not None:
            parts.append(
                _("%(used)d / %(limit)d images") % {"used": images, "limit": obj.image_limit}
            )
        if len(counters) > 1:
            parts.append(_("(%(count)d users)") % {"count": len(counters)})
        return " · ".join(str(p) for p in parts)
