from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _

from .. import is_available
from ..checks import missing_extra_check


class NanobananaWagtailConfig(AppConfig):
    name = "django_nanobanana.contrib.wagtail"
    label = "nanobanana_wagtail"
    verbose_name = _("Nano Banana images for Wagtail")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        checks.register(missing_extra_check("wagtail"))
        if is_available("wagtail"):
            # The optional extra, and a module that imports models: only once they load.
            from .permissions import register_policy
            from .references import skip_asset_references

            register_policy()
            skip_asset_references()
