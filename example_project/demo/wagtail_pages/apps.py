from django.apps import AppConfig


class DemoWagtailConfig(AppConfig):
    name = "demo.wagtail_pages"
    label = "demo_wagtail"
    verbose_name = "Demo Wagtail pages"
    default_auto_field = "django.db.models.BigAutoField"
