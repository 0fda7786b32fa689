"""Assets placed on pages, their versions (one per generation) and renditions."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from ..access import usable_references, visible_assets, visible_versions
from ..storage import configured_storage, delete_files


class State(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    BLOCKED = "blocked", _("Blocked")
    CANCELLED = "cancelled", _("Cancelled")

    @classmethod
    def final(cls) -> tuple[str, ...]:
        return (cls.SUCCEEDED, cls.FAILED, cls.BLOCKED, cls.CANCELLED)


class VersionKind(models.TextChoices):
    GENERATE = "generate", _("Generate")
    EDIT = "edit", _("Edit")
    REGENERATE = "regenerate", _("Regenerate")
    UPLOAD = "upload", _("Upload")


class Source(models.TextChoices):
    ADMIN = "admin", _("Admin")
    API = "api", _("REST API")
    CLI = "cli", _("Command line")
    BATCH = "batch", _("Batch")


class GeneratedAssetQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> models.QuerySet:
        """The images ``user`` may see (:mod:`django_nanobanana.access`)."""
        return visible_assets(user, self)

    def with_versions_summary(self) -> models.QuerySet:
        """Each asset with what lists show of its versions, as subqueries (no extra query
        per asset): the newest version's ``latest_version_id``, ``latest_state`` and
        ``latest_model``, and ``total_cost``, what all its versions cost together (null
        while none has a cost)."""
        versions = AssetVersion.objects.filter(asset=models.OuterRef("pk"))
        newest = versions.order_by("-created_at", "-pk")
        total = versions.order_by().values("asset").annotate(total=models.Sum("cost"))
        return self.annotate(
            latest_version_id=models.Subquery(newest.values("pk")[:1]),
            latest_state=models.Subquery(newest.values("state")[:1]),
            latest_model=models.Subquery(newest.values("model")[:1]),
            total_cost=models.Subquery(
                total.values("total"),
                output_field=models.DecimalField(max_digits=14, decimal_places=6),
            ),
        )


class AssetVersionQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> models.QuerySet:
        """The versions of the images ``user`` may see."""
        return visible_versions(user, self)


class ReferenceImageQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> models.QuerySet:
        """The reference images ``user`` may see and use."""
        return usable_references(user, self)


class GeneratedAsset(models.Model):
    """The slot placed on pages: its current version is what pages show."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(_("title"), max_length=200)
    #: The reviewed alt text (typed or accepted by an editor) in the site's first
    #: language; ``alt_texts`` holds the other languages' (``{language: text}``).
    alt_text = models.CharField(_("alt text"), max_length=500, blank=True)
    alt_texts = models.JSONField(_("alt text in other languages"), default=dict, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="nanobanana_assets",
    )
    current_version = models.ForeignKey(
        "AssetVersion",
        verbose_name=_("current version"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    overlay = models.JSONField(_("text overlay"), null=True, blank=True)
    # The overlay whose renditions of the current version are complete: pages use these
    # while a changed overlay is being rendered ("" = no overlay).
    rendered_overlay_hash = models.CharField(_("rendered overlay"), max_length=32, blank=True)
    focal_point_x = models.FloatField(_("focal point x"), null=True, blank=True)
    focal_point_y = models.FloatField(_("focal point y"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = GeneratedAssetQuerySet.as_manager()

    class Meta:
        verbose_name = _("generated image")
        verbose_name_plural = _("generated images")
        ordering = ("-updated_at",)
        indexes = [
            models.Index(fields=["-updated_at"], name="nb_asset_updated"),
            models.Index(fields=["owner", "-updated_at"], name="nb_asset_owner_updated"),
        ]
        permissions = [
            ("generate", _("Can generate images")),
            ("view_usage", _("Can view image generation usage")),
            ("manage_budgets", _("Can manage image generation budgets")),
        ]

    def __str__(self) -> str:
        return self.title


class AssetVersion(models.Model):
    """One generation, edit or upload: what was asked, what came back, what it cost."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    asset = models.ForeignKey(
        GeneratedAsset, verbose_name=_("asset"), on_delete=models.CASCADE, related_name="versions"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent version"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=VersionKind.choices, default=VersionKind.GENERATE
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    # What was asked.
    prompt = models.TextField(_("prompt"))
    provider = models.CharField(_("provider"), max_length=50)
    model = models.CharField(_("model"), max_length=100)
    aspect_ratio = models.CharField(_("aspect ratio"), max_length=10, blank=True)
    image_size = models.CharField(_("image size"), max_length=10, blank=True)
    seed = models.BigIntegerField(_("seed"), null=True, blank=True)
    params = models.JSONField(_("other parameters"), default=dict, blank=True)
    references = models.JSONField(_("reference images"), default=list, blank=True)
    # NULL means "no key": the unique constraint is partial, so many versions have none.
    idempotency_key = models.CharField(  # noqa: DJ001
        _("idempotency key"), max_length=255, null=True, blank=True
    )
    cache_key = models.CharField(_("cache key"), max_length=64, blank=True, db_index=True)
    reused_from = models.ForeignKey(
        "self",
        verbose_name=_("reused from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reuses",
    )
    # Where it stands.
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.QUEUED)
    error_code = models.CharField(_("error code"), max_length=64, blank=True)
    error = models.TextField(_("reason"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    lease_expires_at = models.DateTimeField(_("lease expires"), null=True, blank=True)
    # What came back.
    original = models.FileField(
        _("original"), storage=configured_storage, max_length=300, blank=True
    )
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    mime_type = models.CharField(_("MIME type"), max_length=40, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    model_text = models.TextField(_("model's text"), blank=True)
    response_id = models.CharField(_("provider response id"), max_length=200, blank=True)
    model_version = models.CharField(_("model version"), max_length=100, blank=True)
    #: ``modelStatus`` of the provider's answer (``modelStage``, ``retirementTime``,
    #: ``message``): Google's own word that the model is going away.
    model_status = models.JSONField(_("model status"), default=dict, blank=True)
    #: The C2PA provenance of the original as read when it was stored (``{"present",
    #: "reader", "claim_generator", "digital_source_type", "validation", ...}``).
    provenance = models.JSONField(_("provenance (C2PA)"), default=dict, blank=True)
    #: ``groundingMetadata`` of a grounded answer (search queries, sources, and the search
    #: suggestions that must be shown with the image).
    grounding_metadata = models.JSONField(_("grounding metadata"), null=True, blank=True)
    grounded_prompts = models.PositiveSmallIntegerField(_("grounded prompts"), default=0)
    model_turn = models.JSONField(_("model turn (for follow-up edits)"), null=True, blank=True)
    finish_reason = models.CharField(_("finish reason"), max_length=64, blank=True)
    # Shown while the real image loads: the dominant colour and a tiny blurred preview.
    dominant_color = models.CharField(_("dominant colour"), max_length=7, blank=True)
    lqip = models.TextField(_("low-quality placeholder (data URI)"), blank=True)
    # Usage and cost.
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
    latency_ms = models.PositiveIntegerField(_("latency (ms)"), null=True, blank=True)
    # Who and when.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="nanobanana_versions",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = AssetVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("image version")
        verbose_name_plural = _("image versions")
        ordering = ("-created_at",)
        indexes = [
            models.Index(fields=["asset", "-created_at"], name="nb_version_asset_created"),
            models.Index(fields=["state", "lease_expires_at"], name="nb_version_state_lease"),
            models.Index(fields=["created_by", "-created_at"], name="nb_version_user_created"),
            models.Index(fields=["model", "-created_at"], name="nb_version_model_created"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"],
                name="nb_version_idempotency_key",
                condition=models.Q(idempotency_key__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} · {self.kind} · {self.state}"

    @property
    def is_final(self) -> bool:
        return self.state in State.final()

    # What the requester is told about the version (the API and the command line alike).

    @property
    def notices(self) -> list[str]:
        """What the requester should know: a deprecated model, a retired model replaced."""
        return list((self.params or {}).get("notices") or [])

    @property
    def visible_reused_from_id(self) -> Any:
        """The version whose image the prompt cache reused, when it is the same owner's;
        None when there is none or it is another owner's (never revealed)."""
        if not self.reused_from_id or (self.params or {}).get("reused_across_owners"):
            return None
        return self.reused_from_id

    @property
    def search_suggestions(self) -> str | None:
        """Google's search suggestions (HTML) of a grounded image, which Google's terms
        require to be shown wherever the image is (None: not grounded)."""
        entry = (self.grounding_metadata or {}).get("searchEntryPoint") or {}
        return entry.get("renderedContent")


class Rendition(models.Model):
    """One resized, encoded file of a version, with or without the asset's overlay."""

    class Format(models.TextChoices):
        AVIF = "avif", "AVIF"
        WEBP = "webp", "WebP"
        JPEG = "jpeg", "JPEG"
        PNG = "png", "PNG"

    version = models.ForeignKey(
        AssetVersion,
        verbose_name=_("version"),
        on_delete=models.CASCADE,
        related_name="renditions",
    )
    overlay_hash = models.CharField(_("overlay hash"), max_length=32, blank=True)
    #: An art-directed crop's aspect ratio ("1:1"); "" for the full image.
    crop = models.CharField(_("crop"), max_length=10, blank=True, default="")
    #: The crop's box in the original's pixels ("left,top,right,bottom").
    crop_box = models.CharField(_("crop box"), max_length=64, blank=True, default="")
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    file = models.FileField(_("file"), storage=configured_storage, max_length=300)
    bytes = models.PositiveIntegerField(_("bytes"))
    contrast = models.FloatField(
        _("overlay contrast"),
        null=True,
        blank=True,
        help_text=_(
            "WCAG contrast ratio (1 to 21) the overlay text reached on this "
            "rendition, measured around the glyphs; empty without an overlay."
        ),
    )
    treatment = models.CharField(
        _("overlay treatment"),
        max_length=16,
        blank=True,
        help_text=_("How the overlay was drawn: plain, shadow, scrim (automatic style) or custom."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("rendition")
        verbose_name_plural = _("renditions")
        ordering = ("version", "format", "width")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "overlay_hash", "crop", "format", "width"],
                name="nb_rendition_crop_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version_id} {self.width}w {self.format}"


@receiver(post_delete, sender=AssetVersion)
def _delete_version_files(sender: type, instance: AssetVersion, **kwargs: object) -> None:
    delete_files([instance.original.name])


@receiver(post_delete, sender=Rendition)
def _delete_rendition_file(sender: type, instance: Rendition, **kwargs: object) -> None:
    delete_files([instance.file.name])


class ReferenceImage(models.Model):
    """An input image for generations and edits, stored once per content hash and owner."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    file = models.FileField(_("file"), storage=configured_storage, max_length=300)
    mime_type = models.CharField(_("MIME type"), max_length=40)
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    bytes = models.PositiveIntegerField(_("bytes"))
    original_name = models.CharField(_("original file name"), max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="nanobanana_references",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(
        _("last used"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_(
            "Last upload or use in a request; unused references are deleted "
            "REFERENCE_RETENTION_DAYS after it."
        ),
    )

    objects = ReferenceImageQuerySet.as_manager()

    class Meta:
        verbose_name = _("reference image")
        verbose_name_plural = _("reference images")
        ordering = ("-created_at",)
        constraints = [
            models.UniqueConstraint(fields=["uploaded_by", "sha256"], name="nb_reference_unique"),
        ]

    def __str__(self) -> str:
        return self.original_name or self.sha256[:12]
