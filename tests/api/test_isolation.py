"""Nothing leaks between users: the prompt cache is per owner, usage shows your own figures."""

from __future__ import annotations

from decimal import Decimal

import pytest

from django_nanobanana.models import AssetVersion, Budget, State
from django_nanobanana.services import execute_version

from .conftest import API, client_for

pytestmark = pytest.mark.django_db

BODY = {"prompt": "A harbour at dawn", "aspect_ratio": "16:9", "image_size": "512"}


def _alice_generates(api, generation) -> AssetVersion:
    created = api.post(f"{API}/assets/", BODY, format="json")
    assert created.status_code == 202, created.content
    version = execute_version(created.json()["version"]["id"])
    assert version.state == State.SUCCEEDED and version.model_text
    return version


# -- prompt cache (issue 13, hole 4) ------------------------------------------------------------

def test_prompt_cache_is_per_owner_by_default(generation, api, alice, bob):
    alices = _alice_generates(api, generation)
    response = client_for(bob).post(f"{API}/assets/", BODY, format="json")
    assert response.status_code == 202
    data = response.json()["version"]
    assert data["state"] == "queued" and data["reused_from"] is None
    bobs = AssetVersion.objects.get(pk=data["id"])
    assert bobs.reused_from_id is None and bobs.model_text == "" and bobs.sha256 == ""
    assert len(generation.generate_requests()) == 1  # Bob's call still to be made
    # Alice's own identical request is served from the cache and says from which version.
    again = api.post(f"{API}/assets/", BODY, format="json").json()["version"]
    assert again["state"] == "succeeded" and again["reused_from"] == str(alices.pk)


def test_site_wide_cache_shares_the_image_but_not_the_owner_or_model_text(
        generation, api, alice, bob, settings):
    settings.NANOBANANA = {**settings.NANOBANANA,
                           "PROMPT_CACHE": {"ENABLED": True, "SCOPE": "site"}}
    alices = _alice_generates(api, generation)
    bob_api = client_for(bob)
    response = bob_api.post(f"{API}/assets/", BODY, format="json")
    data = response.json()["version"]
    assert data["state"] == "succeeded" and data["cost"] == "0.000000"
    assert data["reused_from"] is None
    assert str(alices.pk) not in response.content.decode()
    detail = bob_api.get(f"{API}/versions/{data['id']}/")
    assert detail.json()["reused_from"] is None
    assert str(alices.pk) not in detail.content.decode()
    bobs = AssetVersion.objects.get(pk=data["id"])
    assert bobs.sha256 == alices.sha256  # the image was shared ...
    assert bobs.model_text == "" and bobs.model_turn is None  # ... Alice's model text was not
    assert len(generation.generate_requests()) == 1
