from django.apps import AppConfig


class TestAppConfig(AppConfig):
    name = "tests.contrib.testapp"
    label = "nanobanana_testapp"
    default_auto_field = "django.db.models.BigAutoField"
