"""What a text model suggested about a version: alt text, description, focal point."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .assets import AssetVersion, Source


class DescriptionState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    #: Refused before the call (over budget): nothing was sent, the image is unchanged.
    REFUSED = "refused", _("Refused (budget)")

    @classmethod
    def final(cls) -> tuple[str, ...]:
        return (cls.SUCCEEDED, cls.FAILED, cls.REFUSED)


class Review(models.TextChoices):
    SUGGESTED = "suggested", _("Suggested (not reviewed)")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class ImageDescription(models.Model):
    """One describe call for a version, and the editor's verdict on its suggestion.

    Its ``id`` is what the ledger and the audit trail book the call under (their
    ``version_id`` column holds plain UUIDs): the call is reserved, billed and settled like
    a generation, with ``images=0``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.ForeignKey(
        AssetVersion,
        verbose_name=_("version"),
        on_delete=models.CASCADE,
        related_name="descriptions",
    )
    source = models.CharField(
        _("source"), max_length=16, choices=Source.choices, default=Source.API
    )
    provider = models.CharField(_("provider"), max_length=50)
    model = models.CharField(_("model"), max_length=100)
    languages = models.JSONField(_("languages"), default=list)
    state = models.CharField(
        _("state"), max_length=16, choices=DescriptionState.choices, default=DescriptionState.QUEUED
    )
    review = models.CharField(
        _("review"), max_length=16, choices=Review.choices, default=Review.SUGGESTED
    )
    #: ``{language: text}``
    alt_text = models.JSONField(_("suggested alt text"), default=dict, blank=True)
    description = models.JSONField(_("suggested description"), default=dict, blank=True)
    focal_point_x = models.FloatField(_("suggested focal point x"), null=True, blank=True)
    focal_point_y = models.FloatField(_("suggested focal point y"), null=True, blank=True)
    error_code = models.CharField(_("error code"), max_length=64, blank=True)
    error = models.TextField(_("reason"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    lease_expires_at = models.DateTimeField(_("lease expires"), null=True, blank=True)
    prompt_text_tokens = models.PositiveIntegerField(_("prompt text tokens"), default=0)
    prompt_image_tokens = models.PositiveIntegerField(_("prompt image tokens"), default=0)
    output_text_tokens = models.PositiveIntegerField(_("output text tokens"), default=0)
    output_image_tokens = models.PositiveIntegerField(_("output image tokens"), default=0)
    thoughts_tokens = models.PositiveIntegerField(_("thinking tokens"), default=0)
    estimated_cost = models.DecimalField(
        _("estimated cost (USD)"), max_digits=12, decimal_places=6, null=True, blank=True
    )
    cost = models.DecimalField(
        _("cost (USD)"), max_digits=12, decimal_places=6, null=True, blank=True
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("image description")
        verbose_name_plural = _("image descriptions")
        ordering = ("-created_at",)
        indexes = [
            models.Index(fields=["version", "-created_at"], name="nb_description_version"),
            models.Index(fields=["state", "lease_expires_at"], name="nb_description_lease"),
        ]

    def __str__(self) -> str:
        return f"{self.version_id} · {self.state} · {self.review}"

    @property
    def prompt(self) -> str:
        """What the ledger's estimate fallback reads (the describe call has no prompt)."""
        return ""

    @property
    def references(self) -> list:
        return []

    @property
    def image_size(self) -> str:
        return ""
