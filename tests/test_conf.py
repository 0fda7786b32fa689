from django.test import override_settings

from django_nanobanana.conf import DEFAULTS, GOOGLE_BASE_URL, nanobanana_settings


def test_defaults_apply_when_nothing_is_set():
    with override_settings(NANOBANANA={}):
        assert nanobanana_settings.DEFAULT_MODEL == "gemini-nano-banana-2.1"
        assert nanobanana_settings.STORAGE == "default"
        gemini = nanobanana_settings.provider_config("gemini")
        assert gemini["BASE_URL"] == GOOGLE_BASE_URL
        assert gemini["API_KEY_ENV"] == "GEMINI_API_KEY"
        assert gemini["TIMEOUT"]["read"] == 120.0
        assert DEFAULTS["PROVIDERS"] == {"gemini": {}}


def test_settings_are_read_at_access_time():
    with override_settings(NANOBANANA={"DEFAULT_MODEL": "gemini-2.5-flash-image"}):
        assert nanobanana_settings.DEFAULT_MODEL == "gemini-2.5-flash-image"
    with override_settings(NANOBANANA={"DEFAULT_MODEL": "gemini-3-pro-image"}):
        assert nanobanana_settings.DEFAULT_MODEL == "gemini-3-pro-image"


def test_nested_provider_settings_merge_over_provider_defaults():
    with override_settings(
        NANOBANANA={
            "PROVIDERS": {"proxy": {"BASE_URL": "http://proxy.invalid", "TIMEOUT": {"read": 5}}}
        }
    ):
        proxy = nanobanana_settings.provider_config("proxy")
        assert proxy["BASE_URL"] == "http://proxy.invalid"
        assert proxy["TIMEOUT"]["read"] == 5
        assert proxy["TIMEOUT"]["connect"] == 10.0  # default kept
        assert "gemini" not in nanobanana_settings.PROVIDERS  # PROVIDERS replaces, not merges


def test_api_key_comes_from_the_named_environment_variable(monkeypatch):
    monkeypatch.setenv("MY_KEY_VAR", "k-from-env")
    with override_settings(NANOBANANA={"PROVIDERS": {"gemini": {"API_KEY_ENV": "MY_KEY_VAR"}}}):
        assert nanobanana_settings.api_key() == "k-from-env"
    with override_settings(NANOBANANA={"PROVIDERS": {"gemini": {"API_KEY": "inline"}}}):
        assert nanobanana_settings.api_key() == "inline"
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    with override_settings(NANOBANANA={}):
        assert nanobanana_settings.api_key() is None


def test_unknown_keys_are_reported():
    with override_settings(NANOBANANA={"DEFAULT_MODLE": "x"}):
        assert nanobanana_settings._UNKNOWN_KEYS == ["DEFAULT_MODLE"]
