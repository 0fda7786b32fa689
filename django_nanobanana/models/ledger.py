"""Money and audit: the ledger, billed calls, batch jobs and the audit trail (budgets and
their counters: :mod:`.budgets`).

Design notes (see ``docs/ledger.md``):

* Money is ``Decimal`` everywhere. Ledger and audit amounts are ``DecimalField(14, 6)``.
* History never cascades: ledger entries and audit rows keep ``version_id``/``asset_id``
  as plain UUIDs, users as ``SET_NULL`` foreign keys plus a username snapshot.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from .assets import Source
from .budgets import money_field

#: Token counts by modality: fields of billed calls, audit rows and usage totals (and of
#: :class:`~django_nanobanana.models.AssetVersion`).
TOKEN_FIELDS = (
    "prompt_text_tokens",
    "prompt_image_tokens",
    "output_text_tokens",
    "output_image_tokens",
    "thoughts_tokens",
)


def history_user() -> models.ForeignKey:
    """The user a history row is about. History never cascades: the row outlives the
    account (``SET_NULL``, with the ``username`` kept beside it) and users get no reverse
    accessor."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )


class EntryKind(models.TextChoices):
    RESERVE = "reserve", _("Reserved")
    SETTLE = "settle", _("Settled")
    REFUND = "refund", _("Refunded")
    CACHE_HIT = "cache_hit", _("Cache hit")
    LATE_CHARGE = "late_charge", _("Late charge")


class LedgerEntry(models.Model):
    """One money movement of one version. At most one entry per (version, kind), and at
    most one closing entry (settle *or* refund) per version: both are database constraints,
    so a redelivered task cannot book twice.

    ``amount``: reserve = the estimate held; settle = the actual cost (the sum of the
    version's :class:`BilledCall` rows); refund = the estimate released (nothing billed);
    cache hit = 0 with ``avoided`` = what the reused image cost; late charge = one billed
    answer that arrived after the version was closed (a worker that lost its lease), so
    several per version are allowed.
    ``occurred_at`` is the time of the request (the reservation), so a settle lands on the
    same day/month as its reservation; ``created_at`` is when the row was written.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=EntryKind.choices)
    version_id = models.UUIDField(_("version id"))
    asset_id = models.UUIDField(_("asset id"), null=True, blank=True)
    user = history_user()
    username = models.CharField(_("username"), max_length=150, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)
    amount = money_field(_("amount (USD)"), default=Decimal(0))
    avoided = money_field(_("cost avoided (USD)"), default=Decimal(0))
    images = models.IntegerField(_("images"), default=0)
    # Reserve entries: the pks of the budget counters that hold the reservation.
    counters = models.JSONField(_("budget counters"), default=list, blank=True)
    occurred_at = models.DateTimeField(_("request time"), db_index=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["version_id", "kind"],
                name="nb_ledger_version_kind",
                condition=~models.Q(kind="late_charge"),
            ),
            models.UniqueConstraint(
                fields=["version_id"],
                name="nb_ledger_version_closed_once",
                condition=models.Q(kind__in=["settle", "refund"]),
            ),
        ]
        indexes = [
            models.Index(fields=["user", "occurred_at"], name="nb_ledger_user_time"),
            models.Index(fields=["kind", "occurred_at"], name="nb_ledger_kind_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} · {self.version_id}"


class BilledCall(models.Model):
    """One provider answer that was billed: the attempt ledger.

    Written the moment the answer arrives (before it is parsed, decoded or stored), one row
    per HTTP 200 of every worker attempt, and one per Batch API result. A version's cost
    is the sum of its rows; :func:`~django_nanobanana.ledger.close` books that sum as the
    settle entry. Unique per (version, attempt, call, kind), so recording twice is a no-op.

    ``usage_known`` is False for an answer billed but unreadable (a 200 whose JSON was cut):
    its cost is then the version's estimate (see docs/ledger.md). ``late`` marks a row
    recorded after the version was already closed; it was booked by a ``late_charge``
    ledger entry instead of the settle.
    """

    class Kind(models.TextChoices):
        SYNC = "sync", _("Call")
        BATCH = "batch", _("Batch API result")

    version_id = models.UUIDField(_("version id"), db_index=True)
    asset_id = models.UUIDField(_("asset id"), null=True, blank=True)
    user = history_user()
    username = models.CharField(_("username"), max_length=150, blank=True)
    provider = models.CharField(_("provider"), max_length=50, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.SYNC)
    attempt = models.PositiveSmallIntegerField(_("worker attempt"))
    call = models.PositiveSmallIntegerField(_("HTTP attempt"))
    batch_job = models.CharField(_("batch job"), max_length=200, blank=True)
    response_id = models.CharField(_("provider response id"), max_length=200, blank=True)
    note = models.CharField(_("what became of it"), max_length=16, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    usage_known = models.BooleanField(_("usage known"), default=True)
    prompt_text_tokens = models.PositiveIntegerField(_("prompt text tokens"), default=0)
    prompt_image_tokens = models.PositiveIntegerField(_("prompt image tokens"), default=0)
    output_text_tokens = models.PositiveIntegerField(_("output text tokens"), default=0)
    output_image_tokens = models.PositiveIntegerField(_("output image tokens"), default=0)
    thoughts_tokens = models.PositiveIntegerField(_("thinking tokens"), default=0)
    cost = money_field(_("cost (USD)"), default=Decimal(0))
    late = models.BooleanField(_("booked late"), default=False)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("billed call")
        verbose_name_plural = _("billed calls")
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["version_id", "attempt", "call", "kind"], name="nb_billed_call_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version_id} #{self.attempt}.{self.call} {self.cost}"


class BatchJobState(models.TextChoices):
    CREATING = "CREATING", _("Being created")
    PENDING = "PENDING", _("Pending")
    RUNNING = "RUNNING", _("Running")
    SUCCEEDED = "SUCCEEDED", _("Succeeded")
    FAILED = "FAILED", _("Failed")
    CANCELLED = "CANCELLED", _("Cancelled")
    EXPIRED = "EXPIRED", _("Expired")
    LOST = "LOST", _("Unknown to the provider")


class BatchJob(models.Model):
    """A Gemini Batch API job, recorded by name with the versions it carries.

    Written before the job is created at the provider (``name`` empty, state
    ``CREATING``) and named as soon as the provider answers, so that if the process that
    created it dies the reaper can ask the provider for the job's state instead of
    requeueing work the provider is still running (and will bill).
    """

    name = models.CharField(_("provider job name"), max_length=200, blank=True, db_index=True)
    display_name = models.CharField(_("display name"), max_length=200, unique=True)
    provider = models.CharField(_("provider"), max_length=50)
    model = models.CharField(_("model"), max_length=100)
    state = models.CharField(
        _("state"), max_length=16, choices=BatchJobState.choices, default=BatchJobState.CREATING
    )
    versions = models.ManyToManyField(
        "nanobanana.AssetVersion",
        verbose_name=_("versions"),
        related_name="batch_jobs",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("batch job")
        verbose_name_plural = _("batch jobs")
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.name or self.display_name} ({self.state})"

    @property
    def is_final(self) -> bool:
        return self.state in (
            BatchJobState.SUCCEEDED,
            BatchJobState.FAILED,
            BatchJobState.CANCELLED,
            BatchJobState.EXPIRED,
            BatchJobState.LOST,
        )


class Outcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    BLOCKED = "blocked", _("Blocked")
    CANCELLED = "cancelled", _("Cancelled")
    REFUSED = "refused", _("Refused (budget)")
    INVALID = "invalid", _("Invalid request")
    CACHED = "cached", _("Served from cache")


class AuditRecord(models.Model):
    """One request as it arrived and how it ended. Append-only from the app's side.

    Never holds an API key; the prompt passes through ``PROMPT_REDACTOR`` first, is kept
    up to ``AUDIT_PROMPT_MAX_CHARS`` characters (with the whole prompt's length and
    SHA-256), and references are kept as SHA-256 hashes only.
    """

    created_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    user = history_user()
    username = models.CharField(_("username"), max_length=150, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    client_ip = models.GenericIPAddressField(_("client IP"), null=True, blank=True)
    version_id = models.UUIDField(_("version id"), null=True, blank=True)
    asset_id = models.UUIDField(_("asset id"), null=True, blank=True)
    prompt = models.TextField(
        _("prompt"),
        blank=True,
        help_text=_("The redacted prompt's first AUDIT_PROMPT_MAX_CHARS characters."),
    )
    prompt_length = models.PositiveIntegerField(
        _("prompt length"), default=0, help_text=_("Characters of the whole redacted prompt.")
    )
    prompt_sha256 = models.CharField(
        _("prompt SHA-256"),
        max_length=64,
        blank=True,
        help_text=_("Of the whole redacted prompt (UTF-8)."),
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    reference_hashes = models.JSONField(_("reference SHA-256"), default=list, blank=True)
    provider = models.CharField(_("provider"), max_length=50, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)
    response_id = models.CharField(_("provider response id"), max_length=200, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.PENDING
    )
    reason = models.TextField(_("reason"), blank=True)
    prompt_text_tokens = models.PositiveIntegerField(_("prompt text tokens"), default=0)
    prompt_image_tokens = models.PositiveIntegerField(_("prompt image tokens"), default=0)
    output_text_tokens = models.PositiveIntegerField(_("output text tokens"), default=0)
    output_image_tokens = models.PositiveIntegerField(_("output image tokens"), default=0)
    thoughts_tokens = models.PositiveIntegerField(_("thinking tokens"), default=0)
    estimated_cost = money_field(_("estimated cost (USD)"), null=True, blank=True)
    cost = money_field(_("cost (USD)"), null=True, blank=True)
    avoided_cost = money_field(_("cost avoided (USD)"), null=True, blank=True)
    images = models.PositiveIntegerField(_("images"), default=0)
    latency_ms = models.PositiveIntegerField(_("latency (ms)"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["version_id"],
                name="nb_audit_version",
                condition=models.Q(version_id__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="nb_audit_user_created"),
            models.Index(fields=["outcome", "-created_at"], name="nb_audit_outcome_created"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.username or '-'} {self.outcome}"


class UsageTotal(models.Model):
    """Audit rows folded by the pruning command: totals per (day, user, model, source).

    ``day`` is the local date in the budget time zone. Reports add these to the audit rows
    still present, so pruning never changes a total. Money is not here: it lives in the
    ledger, which is never pruned.
    """

    day = models.DateField(_("day"))
    user = history_user()
    username = models.CharField(_("username"), max_length=150, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, blank=True)
    requests = models.PositiveIntegerField(_("requests"), default=0)
    succeeded = models.PositiveIntegerField(_("succeeded"), default=0)
    refused = models.PositiveIntegerField(_("refused or invalid"), default=0)
    prompt_text_tokens = models.BigIntegerField(_("prompt text tokens"), default=0)
    prompt_image_tokens = models.BigIntegerField(_("prompt image tokens"), default=0)
    output_text_tokens = models.BigIntegerField(_("output text tokens"), default=0)
    output_image_tokens = models.BigIntegerField(_("output image tokens"), default=0)
    thoughts_tokens = models.BigIntegerField(_("thinking tokens"), default=0)

    class Meta:
        verbose_name = _("usage total (pruned audit)")
        verbose_name_plural = _("usage totals (pruned audit)")
        ordering = ("-day", "username", "model")
        indexes = [
            models.Index(fields=["day", "user", "model", "source"], name="nb_usage_total_key"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.username or '-'} {self.model} {self.source}"
