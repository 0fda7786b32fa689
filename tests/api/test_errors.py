"""The error shape holds whatever the project's DRF settings are."""

from __future__ import annotations

import pytest
from rest_framework import exceptions

from django_nanobanana.api.errors import exception_handler, flatten_errors
from tests.helpers import API, client_for

from .test_assets import BODY, error_of

pytestmark = pytest.mark.django_db


def test_project_exception_handler_does_not_change_the_api(settings, api):
    settings.REST_FRAMEWORK = {
        "EXCEPTION_HANDLER": "rest_framework.views.exception_handler",
    }
    error = error_of(api.post(f"{API}/assets/", {}, format="json"), 400, "invalid")
    assert "prompt" in error["field_errors"]


def test_project_authentication_classes_replace_token_and_session(settings, alice):
    settings.REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.BasicAuthentication"],
    }
    assert client_for(alice).get(f"{API}/assets/").status_code == 401  # the token is ignored
    from rest_framework.test import APIClient

    basic = APIClient()
    basic.credentials(HTTP_AUTHORIZATION="Basic YWxpY2U6cHc=")  # alice:pw
    assert basic.get(f"{API}/assets/").status_code == 200


def test_not_acceptable_is_406_in_the_shape(api):
    error_of(api.get(f"{API}/models/", HTTP_ACCEPT="text/html"), 406, "not_acceptable")


def test_flatten_nested_errors():
    detail = {
        "overlay": {"text": ["Required."]},
        "references": [{}, ["Bad id."]],
        "non_field_errors": ["Nope."],
    }
    assert flatten_errors(detail) == {
        "overlay.text": ["Required."],
        "references.1": ["Bad id."],
        "non_field_errors": ["Nope."],
    }
    assert flatten_errors(["Just this."]) == {"non_field_errors": ["Just this."]}


def test_unknown_exceptions_are_left_to_drf():
    assert exception_handler(RuntimeError("bug"), {}) is None
    response = exception_handler(exceptions.NotFound(), {})
    assert response.status_code == 404 and response.data["error"]["code"] == "not_found"


def test_generation_body_must_be_an_object(api, generation):
    error = error_of(api.post(f"{API}/assets/", [BODY], format="json"), 400, "invalid")
    assert error["field_errors"]
