from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _

from ..checks import missing_extra_check


class NanobananaDjangoCMSConfig(AppConfig):
    name = "django_nanobanana.contrib.djangocms"
    label = "nanobanana_djangocms"
    verbose_name = _("Nano Banana images for django CMS")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        checks.register(missing_extra_check("djangocms"))
