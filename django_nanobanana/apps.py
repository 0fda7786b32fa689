from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NanobananaConfig(AppConfig):
    name = "django_nanobanana"
    label = "nanobanana"
    verbose_name = _("Nano Banana images")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks, conf  # noqa: F401  (registers checks and the settings hook)
