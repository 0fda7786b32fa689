"""Reference uploads, usage and budgets, the models registry."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from django_nanobanana.models import Budget, ReferenceImage
from tests.helpers import API, client_for, png_bytes

from .test_assets import BODY, error_of

pytestmark = pytest.mark.django_db


def upload(data: bytes, name: str = "ref.png", content_type: str = "image/png"):
    return {"file": SimpleUploadedFile(name, data, content_type=content_type)}


# -- references -----------------------------------------------------------------------------


def test_upload_a_reference_then_the_same_again(generation, api, alice):
    response = api.post(f"{API}/references/", upload(png_bytes()), format="multipart")
    assert response.status_code == 201
    data = response.json()
    assert (data["width"], data["height"], data["mime_type"]) == (64, 48, "image/png")
    assert data["original_name"] == "ref.png" and len(data["sha256"]) == 64
    assert ReferenceImage.objects.get().uploaded_by == alice
    again = api.post(f"{API}/references/", upload(png_bytes()), format="multipart")
    assert again.status_code == 200 and again.json()["id"] == data["id"]


@pytest.mark.parametrize("data", [b"not an image", b"GIF89a" + b"\0" * 64, b""])
def test_a_reference_that_is_not_an_allowed_image_is_400(generation, api, data):
    error = error_of(
        api.post(f"{API}/references/", upload(data), format="multipart"), 400, "invalid"
    )
    assert "file" in error["field_errors"]
    assert ReferenceImage.objects.count() == 0


def test_reference_upload_needs_multipart_and_a_file(generation, api):
    error_of(api.post(f"{API}/references/", {}, format="multipart"), 400, "invalid")
    error_of(
        api.post(f"{API}/references/", {"file": "x"}, format="json"), 415, "unsupported_media_type"
    )


def test_references_are_per_user_and_limited_by_the_model(generation, api, bob):
    ref = api.post(f"{API}/references/", upload(png_bytes()), format="multipart").json()
    body = {**BODY, "references": [ref["id"]]}
    assert api.post(f"{API}/assets/", body, format="json").status_code == 202
    error = error_of(client_for(bob).post(f"{API}/assets/", body, format="json"), 400, "invalid")
    assert "references" in error["field_errors"]
    refs = [
        api.post(f"{API}/references/", upload(png_bytes(color=c)), format="multipart").json()["id"]
        for c in ("red", "green", "blue", "white")
    ]
    error = error_of(
        api.post(
            f"{API}/assets/",
            {"prompt": "x", "model": "gemini-2.5-flash-image", "references": refs},
            format="json",
        ),
        400,
        "invalid",
    )
    assert "at most 3" in error["field_errors"]["references"][0]


# -- usage ----------------------------------------------------------------------------------


def test_usage_shows_own_usage_and_budgets_left(generation, api, alice, run_queued):
    Budget.objects.create(
        name="alice daily", scope="user", user=alice, period="day", amount_limit=Decimal("5.00")
    )
    api.post(f"{API}/assets/", BODY, format="json")
    run_queued()
    data = api.get(f"{API}/usage/?group_by=model").json()
    assert data["user"] == "alice" and data["group_by"] == ["model"]
    [row] = data["rows"]
    assert row["model"] == "gemini-nano-banana-2.1"
    assert row["requests"] == 1 and row["succeeded"] == 1 and row["images"] == 1
    assert Decimal(row["cost"]) > 0
    [budget] = data["budgets"]
    assert budget["name"] == "alice daily" and Decimal(budget["amount_limit"]) == 5
    assert Decimal(budget["left"]) == Decimal("5.00") - Decimal(budget["spent"])
    assert Decimal(budget["spent"]) == Decimal(row["cost"])


def test_usage_of_others_is_for_staff_with_permission(
    generation, api, bob, staff_editor, run_queued
):
    client_for(bob).post(f"{API}/assets/", BODY, format="json")
    run_queued()
    error_of(api.get(f"{API}/usage/?user=bob"), 403, "permission_denied")
    assert api.get(f"{API}/usage/?user=alice").status_code == 200  # oneself is fine
    staff = client_for(staff_editor)
    data = staff.get(f"{API}/usage/?user=bob").json()
    assert data["user"] == "bob" and data["rows"][0]["requests"] == 1
    everyone = staff.get(f"{API}/usage/?group_by=user").json()
    assert everyone["user"] is None
    assert [r["user"] for r in everyone["rows"]] == ["bob"]


@pytest.mark.parametrize(
    "query", ["group_by=colour", "since=yesterday", "since=2026-02-02&until=2026-02-01"]
)
def test_bad_usage_parameters_are_400(api, query):
    assert error_of(api.get(f"{API}/usage/?{query}"), 400, "invalid")["field_errors"]


# -- models ---------------------------------------------------------------------------------


def test_models_lists_the_registry_with_limits_and_prices(api, settings):
    data = api.get(f"{API}/models/").json()
    models = {m["id"]: m for m in data}
    flash = models["gemini-nano-banana-2.1"]
    assert flash["default"] is True and flash["stage"] == "ga"
    assert "4:1" in flash["aspect_ratios"] and flash["image_sizes"] == ["1K", "2K", "4K"]
    assert flash["max_reference_images"] == 14
    assert flash["thinking_levels"] == ["minimal", "medium", "high"]
    assert flash["grounding"] == ["web", "image"]
    assert Decimal(flash["prices"]["output_image"]) == 30
    assert Decimal(flash["image_costs"]["1K"]) == Decimal("0.0336")
    retired = models["gemini-3.1-flash-image-preview"]
    assert retired["stage"] == "retired" and retired["shutdown"] == "2026-06-25"
    assert retired["replacement"] == "gemini-nano-banana-2.1"
    assert models["gemini-3.1-flash-image"]["stage"] == "deprecated"
    assert {"aspect_ratio": "16:9", "image_size": "1K", "width": 1376, "height": 768} in flash[
        "dimensions"
    ]
    nano = models["gemini-2.5-flash-image"]
    assert nano["image_sizes"] == [] and nano["max_reference_images"] == 3
    assert set(nano["image_costs"]) == {"1K"}
