from django.core.checks import run_checks
from django.test import override_settings


def ids(messages):
    return {m.id for m in messages if m.id and m.id.startswith("nanobanana.")}


def test_configured_test_settings_pass():
    assert ids(run_checks()) == set()


def test_missing_key_is_an_error_in_production_and_a_warning_in_debug(monkeypatch):
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    with override_settings(NANOBANANA={}, DEBUG=False):
        messages = [m for m in run_checks() if m.id == "nanobanana.E002"]
        assert messages and "GEMINI_API_KEY" in messages[0].msg
    with override_settings(NANOBANANA={}, DEBUG=True):
        assert "nanobanana.W002" in ids(run_checks())
        assert "nanobanana.E002" not in ids(run_checks())
    monkeypatch.setenv("GEMINI_API_KEY", "present")
    with override_settings(NANOBANANA={}):
        assert ids(run_checks()) == set()


def test_unknown_model_and_storage_and_provider(monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", "present")
    with override_settings(NANOBANANA={"DEFAULT_MODEL": "gemini-9-ultra"}):
        found = [m for m in run_checks() if m.id == "nanobanana.E003"]
        assert found and "gemini-9-ultra" in found[0].msg
    with override_settings(NANOBANANA={"STORAGE": "nowhere"}):
        assert "nanobanana.E007" in ids(run_checks())
    with override_settings(NANOBANANA={"DEFAULT_PROVIDER": "vertex"}):
        assert "nanobanana.E004" in ids(run_checks())
    with override_settings(NANOBANANA={"PROVIDERS": {"gemini": {"BACKEND": "no.such.Backend"}}}):
        assert "nanobanana.E005" in ids(run_checks())


def test_a_new_model_id_can_be_declared_from_settings(monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", "present")
    with override_settings(
        NANOBANANA={
            "DEFAULT_MODEL": "gemini-3.1-flash-image",
            "MODELS": {"gemini-3.1-flash-image": {"BASED_ON": "gemini-nano-banana-2.1"}},
        }
    ):
        assert ids(run_checks()) == set()


def test_rate_limits_on_a_per_process_cache_are_flagged(monkeypatch, settings):
    monkeypatch.setenv("GEMINI_API_KEY", "present")
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    limits = {"requests_per_minute": 10}
    with override_settings(NANOBANANA={"PROVIDERS": {"gemini": {"RATE_LIMITS": limits}}}):
        found = [m for m in run_checks() if m.id == "nanobanana.W005"]
        assert found and "not shared" in found[0].msg
    with override_settings(
        NANOBANANA={
            "PROVIDERS": {
                "gemini": {"RATE_LIMITS": limits, "RATE_LIMIT_BACKEND": "redis://127.0.0.1:6379/15"}
            }
        }
    ):
        assert "nanobanana.W005" not in ids(run_checks())
