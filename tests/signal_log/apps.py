import os

from django.apps import AppConfig


class SignalLogConfig(AppConfig):
    name = "tests.signal_log"
    label = "nanobanana_signal_log"

    def ready(self):
        from django_nanobanana.signals import version_finished

        def log(sender, version, **kwargs):
            with open(os.environ["NANOBANANA_TEST_SIGNAL_LOG"], "a") as handle:
                handle.write(f"{version.pk} {version.state}\n")

        version_finished.connect(log, weak=False, dispatch_uid="nanobanana-test-signal-log")
