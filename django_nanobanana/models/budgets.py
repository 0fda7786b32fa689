"""Budgets and their per-window counters (money rules: :mod:`django_nanobanana.ledger`).

Budget *counters* keep money as whole micro-dollars (``BigIntegerField``) because the
race-free reservation is one conditional ``UPDATE`` doing arithmetic in SQL, and SQLite
has no exact decimal type (it would compare binary floats); integers are exact on every
database. Every other amount is a ``DecimalField(14, 6)`` (:func:`money_field`).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..money import MICROS


def money_field(verbose_name: str, **kwargs: object) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=6, **kwargs)


class BudgetScope(models.TextChoices):
    USER = "user", _("User")
    GROUP = "group", _("Group")
    SITE = "site", _("Site-wide")


class BudgetPeriod(models.TextChoices):
    DAY = "day", _("Day")
    MONTH = "month", _("Month")


class Budget(models.Model):
    """A spending limit in money and/or images, per user, per group or site-wide.

    A user-scope budget without a user applies to *every* user separately (each user has
    their own counter); with a user it applies to that user only. A group budget is shared
    by the group's members. Budgets declared in ``NANOBANANA["BUDGETS"]`` are synced into
    rows with ``settings_key`` set; those follow the settings and are read-only in the admin.
    """

    name = models.CharField(_("name"), max_length=100)
    scope = models.CharField(_("scope"), max_length=8, choices=BudgetScope.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="nanobanana_budgets",
        help_text=_("For a user budget: leave empty to give every user this budget."),
    )
    group = models.ForeignKey(
        "auth.Group",
        verbose_name=_("group"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="nanobanana_budgets",
    )
    period = models.CharField(_("period"), max_length=8, choices=BudgetPeriod.choices)
    amount_limit = money_field(
        _("limit (USD)"),
        null=True,
        blank=True,
        help_text=_("Leave empty for no money limit."),
    )
    image_limit = models.PositiveIntegerField(
        _("limit (images)"),
        null=True,
        blank=True,
        help_text=_("Leave empty for no image limit."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    settings_key = models.CharField(
        _("declared in settings as"),
        max_length=100,
        null=True,
        blank=True,
        unique=True,
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
        ordering = ("scope", "name", "period")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(amount_limit__isnull=False) | models.Q(image_limit__isnull=False)
                ),
                name="nb_budget_has_limit",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(scope="site", user__isnull=True, group__isnull=True)
                    | models.Q(scope="user", group__isnull=True)
                    | models.Q(scope="group", user__isnull=True, group__isnull=False)
                ),
                name="nb_budget_scope_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_period_display()})"

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.amount_limit is None and self.image_limit is None:
            errors.setdefault("__all__", []).append(
                _("Set a money limit, an image limit, or both.")
            )
        if self.amount_limit is not None and self.amount_limit < 0:
            errors.setdefault("amount_limit", []).append(_("The limit cannot be negative."))
        if self.scope == BudgetScope.SITE and (self.user_id or self.group_id):
            errors.setdefault("__all__", []).append(
                _("A site-wide budget names neither a user nor a group.")
            )
        if self.scope == BudgetScope.USER and self.group_id:
            errors.setdefault("group", []).append(_("A user budget names no group."))
        if self.scope == BudgetScope.GROUP:
            if not self.group_id:
                errors.setdefault("group", []).append(_("A group budget needs a group."))
            if self.user_id:
                errors.setdefault("user", []).append(_("A group budget names no user."))
        if errors:
            raise ValidationError(errors)

    @property
    def for_each_user(self) -> bool:
        """A user budget without a user: every user has their own counter of it."""
        return self.scope == BudgetScope.USER and self.user_id is None

    @property
    def is_daily(self) -> bool:
        return self.period == BudgetPeriod.DAY

    def describe(self) -> str:
        """Who the budget is for, e.g. ``user alice``, ``group editors``, ``site-wide``."""
        if self.scope == BudgetScope.SITE:
            return str(_("site-wide"))
        if self.scope == BudgetScope.GROUP:
            return str(_("group %(name)s") % {"name": self.group.name if self.group else "?"})
        if self.user_id:
            return str(_("user %(name)s") % {"name": self.user.get_username()})
        return str(_("each user"))


class BudgetCounter(models.Model):
    """What one budget has spent and holds reserved in one time window (one day or month).

    ``subject`` tells counters of an every-user budget apart (the user's pk); it is empty
    for the others. Money is in micro-dollars (see the module docstring).
    """

    budget = models.ForeignKey(
        Budget, verbose_name=_("budget"), on_delete=models.CASCADE, related_name="counters"
    )
    subject = models.CharField(_("subject"), max_length=64, blank=True, default="")
    window_start = models.DateTimeField(_("window start"))
    window_end = models.DateTimeField(_("window end"))
    spent_micros = models.BigIntegerField(_("spent (micro-USD)"), default=0)
    reserved_micros = models.BigIntegerField(_("reserved (micro-USD)"), default=0)
    spent_images = models.IntegerField(_("images spent"), default=0)
    reserved_images = models.IntegerField(_("images reserved"), default=0)

    class Meta:
        verbose_name = _("budget counter")
        verbose_name_plural = _("budget counters")
        ordering = ("budget", "subject", "window_start")
        constraints = [
            models.UniqueConstraint(
                fields=["budget", "subject", "window_start"], name="nb_budget_counter_window"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.budget_id}/{self.subject or '-'}@{self.window_start:%Y-%m-%d}"

    @property
    def spent(self) -> Decimal:
        return Decimal(self.spent_micros) / MICROS

    @property
    def reserved(self) -> Decimal:
        return Decimal(self.reserved_micros) / MICROS
