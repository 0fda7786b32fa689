from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class NanobananaWagtailConfig(AppConfig):
    name = "django_nanobanana.contrib.wagtail"
    label = "nanobanana_wagtail"
    verbose_name = _("Nano Banana images for Wagtail")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ..checks import missing_extra_check

        checks.register(missing_extra_check("wagtail"))

        from .. import is_available

        if is_available("wagtail"):
            from .permissions import register_policy

            register_policy()
