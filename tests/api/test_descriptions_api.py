"""The describe / accept-description routes, AI disclosure fields and focal point edits."""

from __future__ import annotations

import pytest

from django_nanobanana.models import Budget, ImageDescription
from django_nanobanana.services.description_worker import execute_description
from tests.helpers import API

pytestmark = pytest.mark.django_db


def test_describe_on_demand_then_accept_an_edited_suggestion(finished_asset, api, alice):
    url = f"{API}/assets/{finished_asset.pk}/"
    assert api.get(f"{url}describe/").status_code == 404
    queued = api.post(f"{url}describe/", format="json")
    assert queued.status_code == 202, queued.content
    assert queued.json()["state"] == "queued"
    execute_description(queued.json()["id"])
    suggestion = api.get(f"{url}describe/").json()
    assert suggestion["state"] == "succeeded" and suggestion["review"] == "suggested"
    assert suggestion["alt_text"]["en-us"] == "A lighthouse"
    assert 0 <= suggestion["focal_point"]["x"] <= 1
    assert float(suggestion["cost"]) > 0

    accepted = api.post(
        f"{url}accept-description/",
        {"alt_text": "A red lighthouse", "focal_point": {"x": 0.9, "y": 0.4}},
        format="json",
    )
    assert accepted.status_code == 200, accepted.content
    data = accepted.json()
    assert data["alt_text"] == "A red lighthouse" and data["page_alt_text"] == "A red lighthouse"
    assert data["focal_point"] == {"x": 0.9, "y": 0.4}
    assert ImageDescription.objects.get().review == "accepted"


def test_accept_needs_a_finished_suggestion_and_valid_input(finished_asset, api):
    url = f"{API}/assets/{finished_asset.pk}/accept-description/"
    assert api.post(url, {}, format="json").status_code == 400
    response = api.post(url, {"alt_text": 3}, format="json")
    assert response.status_code == 400
    assert "alt_text" in response.json()["error"]["field_errors"]


def test_describe_refused_for_budget_says_so_and_keeps_the_image(finished_asset, api, alice):
    Budget.objects.create(
        name="none left",
        scope="user",
        user=alice,
        period="day",
        amount_limit=finished_asset.current_version.cost,
    )
    response = api.post(f"{API}/assets/{finished_asset.pk}/describe/", format="json")
    assert response.status_code == 402, response.content
    assert "budget" in response.json()["error"]["message"].lower()
    assert ImageDescription.objects.get().state == "refused"
    data = api.get(f"{API}/assets/{finished_asset.pk}/").json()
    assert data["state"] == "succeeded" and data["src"]


def test_focal_point_is_editable_and_validated(finished_asset, api):
    url = f"{API}/assets/{finished_asset.pk}/"
    response = api.patch(url, {"focal_point": {"x": 1.5, "y": 0.2}}, format="json")
    assert response.status_code == 400
    response = api.patch(url, {"focal_point": {"x": 0.25, "y": 0.75}}, format="json")
    assert response.status_code == 200 and response.json()["focal_point"] == {"x": 0.25, "y": 0.75}


def test_assets_say_they_are_ai_generated(finished_asset, api):
    data = api.get(f"{API}/assets/{finished_asset.pk}/").json()
    assert data["ai_generated"] is True
    assert data["provenance"]["present"] is False
