from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NanobananaConfig(AppConfig):
    name = "django_nanobanana"
    label = "nanobanana"
    verbose_name = _("Nano Banana images")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import checks, conf  # noqa: F401  (registers checks and the settings hook)

        post_migrate.connect(_ensure_schedule, sender=self, dispatch_uid="nanobanana-reaper")

        from .services.webhooks import on_version_finished
        from .signals import version_finished

        version_finished.connect(on_version_finished, dispatch_uid="nanobanana-webhooks")


def _ensure_schedule(sender: AppConfig, **kwargs: object) -> None:
    """After migrate: the django-q2 schedules that run the reaper and the reference
    clean-up exist (or are removed when their setting is None)."""
    from django.apps import apps

    if apps.is_installed("django_q"):
        from .services.reaper import ensure_schedule
        from .services.references import ensure_cleanup_schedule

        ensure_schedule()
        ensure_cleanup_schedule()
