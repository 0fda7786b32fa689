"""Assets through the REST API: create, read, list, regenerate, edit, overlay, revert,
delete; idempotency; the error shape and status codes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from django_nanobanana.models import AssetVersion, Budget, GeneratedAsset, State
from tests.helpers import API, client_for

pytestmark = pytest.mark.django_db

BODY = {"prompt": "A harbour at dawn", "aspect_ratio": "16:9", "image_size": "1K"}


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["field_errors"], dict)
    return body["error"]


# -- create --------------------------------------------------------------------------------


def test_create_queues_and_answers_202_with_status_url(generation, api, alice):
    response = api.post(
        f"{API}/assets/", {**BODY, "title": "Harbour", "alt_text": "Boats"}, format="json"
    )
    assert response.status_code == 202
    data = response.json()
    version = AssetVersion.objects.get()
    assert data["version"]["id"] == str(version.pk)
    assert data["version"]["state"] == "queued"
    assert data["asset"]["id"] == str(version.asset_id)
    assert data["asset"]["state"] == "queued"
    assert data["asset"]["owner"]["username"] == "alice"
    assert data["asset"]["title"] == "Harbour" and data["asset"]["alt_text"] == "Boats"
    assert response["Location"].endswith(f"/api/nanobanana/versions/{version.pk}/")
    assert "Idempotent-Replayed" not in response
    assert version.source == "api" and version.created_by == alice
    status = api.get(response["Location"])
    assert status.status_code == 200 and status.json()["state"] == "queued"


def test_finished_asset_has_renditions_srcset_alt_overlay_and_cost(generation, api, run_queued):
    overlay = {"text": "Sale", "anchor": "bottom-left"}
    created = api.post(
        f"{API}/assets/", {**BODY, "alt_text": "Boats", "overlay": overlay}, format="json"
    ).json()
    run_queued()
    data = api.get(created["asset"]["url"]).json()
    assert data["state"] == "succeeded"
    assert data["current_version"]["id"] == created["version"]["id"]
    assert data["alt_text"] == "Boats"
    assert data["overlay"]["text"] == "Sale"
    assert Decimal(data["cost"]) > 0
    assert (data["width"], data["height"]) == (1376, 768)
    formats = {(r["format"], r["width"]) for r in data["renditions"]}
    assert formats == {("webp", 320), ("webp", 640), ("jpeg", 320), ("jpeg", 640)}
    assert all(
        r["url"].startswith("http://testserver/media/") and r["height"] > 0
        for r in data["renditions"]
    )
    assert set(data["srcset"]) == {"webp", "jpeg"}
    assert data["srcset"]["webp"].endswith(" 640w") and " 320w, " in data["srcset"]["webp"]
    assert [s["format"] for s in data["sources"]] == ["webp", "jpeg"]
    assert data["src"].endswith(".jpg") and data["placeholder"].startswith("#")
    version = api.get(data["current_version"]["url"]).json()
    assert version["state"] == "succeeded" and version["attempts"] == 1
    assert version["reason"] == "" and version["original_url"].startswith("http://testserver/")


def test_unknown_ratio_for_the_model_is_a_400_naming_the_field(generation, api):
    response = api.post(
        f"{API}/assets/",
        {**BODY, "model": "gemini-3-pro-image", "aspect_ratio": "4:1"},
        format="json",
    )
    error = error_of(response, 400, "invalid")
    assert "aspect_ratio" in error["field_errors"]
    assert "1:1" in error["field_errors"]["aspect_ratio"][0]  # names what is allowed
    assert GeneratedAsset.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"prompt": "x", "model": "no-such-model"}, "model"),
        ({"prompt": "x", "image_size": "9K"}, "image_size"),
        ({"prompt": "   "}, "prompt"),
        ({}, "prompt"),
        ({"prompt": "x", "seed": "abc"}, "seed"),
        ({"prompt": "x", "seed": 2**40}, "seed"),
        ({"prompt": "x", "references": ["not-a-uuid"]}, "references.0"),
        ({"prompt": "x", "references": ["7d2f0a4e-8a38-4a52-9d0b-4a3c1b2a9f00"]}, "references"),
        ({"prompt": "x", "overlay": "text"}, "overlay"),
        ({"prompt": "x", "overlay": {"text": "Hi", "size": 7}}, "overlay.size"),
        ({"prompt": "x", "overlay": {"colour": "red"}}, "overlay.text"),
        ({"prompt": "x", "thinking_level": "deep"}, "thinking_level"),
        ({"prompt": "x\x00y"}, "prompt"),
    ],
)
def test_bad_input_is_a_400_with_field_names(generation, api, body, field):
    error = error_of(api.post(f"{API}/assets/", body, format="json"), 400, "invalid")
    assert field in error["field_errors"], error


def test_malformed_json_and_wrong_media_type(generation, api):
    response = api.generic("POST", f"{API}/assets/", "{nope", content_type="application/json")
    error_of(response, 400, "parse_error")
    response = api.generic(
        "POST", f"{API}/assets/", "prompt=x", content_type="application/x-www-form-urlencoded"
    )
    error_of(response, 415, "unsupported_media_type")
    error_of(api.put(f"{API}/assets/", BODY, format="json"), 405, "method_not_allowed")


def test_idempotent_replay_returns_the_same_version_and_queues_nothing(
    generation, api, django_capture_on_commit_callbacks
):
    headers = {"HTTP_IDEMPOTENCY_KEY": "order-42"}
    with django_capture_on_commit_callbacks() as callbacks:
        first = api.post(f"{API}/assets/", BODY, format="json", **headers)
    queued = len(callbacks)
    with django_capture_on_commit_callbacks() as callbacks:
        again = api.post(f"{API}/assets/", BODY, format="json", **headers)
    assert first.status_code == again.status_code == 202
    assert again.json()["version"]["id"] == first.json()["version"]["id"]
    assert again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    assert AssetVersion.objects.count() == 1 and GeneratedAsset.objects.count() == 1
    assert queued >= 1 and callbacks == []  # the replay enqueued nothing
    assert generation.generate_requests() == []


def test_idempotency_key_reused_for_another_request_is_422(generation, api):
    headers = {"HTTP_IDEMPOTENCY_KEY": "order-43"}
    assert api.post(f"{API}/assets/", BODY, format="json", **headers).status_code == 202
    response = api.post(f"{API}/assets/", {**BODY, "prompt": "Other"}, format="json", **headers)
    error = error_of(response, 422, "idempotency_conflict")
    assert "Idempotency-Key" in error["field_errors"]
    response = api.post(f"{API}/assets/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k" * 256)
    assert "Idempotency-Key" in error_of(response, 400, "invalid")["field_errors"]


def test_idempotency_keys_are_per_user(generation, api, bob):
    headers = {"HTTP_IDEMPOTENCY_KEY": "same-key"}
    mine = api.post(f"{API}/assets/", BODY, format="json", **headers).json()
    theirs = client_for(bob).post(f"{API}/assets/", BODY, format="json", **headers).json()
    assert mine["version"]["id"] != theirs["version"]["id"]


def test_over_budget_is_402_with_the_budget_and_nothing_queued(generation, api, alice):
    Budget.objects.create(
        name="alice daily", scope="user", user=alice, period="day", amount_limit=Decimal("0.01")
    )
    response = api.post(f"{API}/assets/", BODY, format="json")
    error = error_of(response, 402, "over_budget")
    assert error["budget"]["budget"]["name"] == "alice daily"
    assert error["budget"]["unit"] == "USD"
    assert error["budget"]["limit"] == "0.010000" or Decimal(error["budget"]["limit"]) == Decimal(
        "0.01"
    )
    assert "resets_at" in error["budget"]
    assert AssetVersion.objects.count() == 0 and GeneratedAsset.objects.count() == 0


def test_missing_api_key_is_a_503_without_configuration_details(settings, api, staff_editor):
    settings.NANOBANANA = {
        "PROVIDERS": {"gemini": {"API_KEY": None, "API_KEY_ENV": "NB_TEST_NO_SUCH_VAR"}}
    }
    error = error_of(api.post(f"{API}/assets/", BODY, format="json"), 503, "configuration_error")
    assert "NB_TEST_NO_SUCH_VAR" not in error["message"]
    staff = client_for(staff_editor).post(f"{API}/assets/", BODY, format="json")
    assert "NB_TEST_NO_SUCH_VAR" in error_of(staff, 503, "configuration_error")["message"]


def test_generation_endpoints_are_throttled_per_user(generation, api, bob, settings):
    settings.REST_FRAMEWORK = {"DEFAULT_THROTTLE_RATES": {"nanobanana_generate": "2/minute"}}
    for n in range(2):
        assert (
            api.post(f"{API}/assets/", {**BODY, "prompt": f"p{n}"}, format="json").status_code
            == 202
        )
    response = api.post(f"{API}/assets/", BODY, format="json")
    error_of(response, 429, "throttled")
    assert int(response["Retry-After"]) >= 1
    assert api.get(f"{API}/assets/").status_code == 200  # reading is not throttled
    assert client_for(bob).post(f"{API}/assets/", BODY, format="json").status_code == 202


# -- list -----------------------------------------------------------------------------------


def test_list_shows_own_assets_with_filters_ordering_and_pages(
    generation, api, alice, bob, run_queued
):
    for title in ("b", "a", "c"):
        api.post(f"{API}/assets/", {**BODY, "prompt": title, "title": title}, format="json")
    client_for(bob).post(f"{API}/assets/", BODY, format="json")
    pro = api.post(
        f"{API}/assets/",
        {"prompt": "pro", "model": "gemini-3-pro-image", "title": "pro"},
        format="json",
    ).json()
    AssetVersion.objects.filter(asset_id=pro["asset"]["id"]).update(state=State.FAILED)

    data = api.get(f"{API}/assets/").json()
    assert data["count"] == 4
    assert {a["owner"]["username"] for a in data["results"]} == {"alice"}

    titles = [a["title"] for a in api.get(f"{API}/assets/?ordering=title").json()["results"]]
    assert titles == ["a", "b", "c", "pro"]
    titles = [a["title"] for a in api.get(f"{API}/assets/?ordering=-title").json()["results"]]
    assert titles == ["pro", "c", "b", "a"]

    page = api.get(f"{API}/assets/?ordering=title&page_size=3&page=2").json()
    assert page["count"] == 4 and [a["title"] for a in page["results"]] == ["pro"]
    assert page["previous"] is not None and page["next"] is None

    failed = api.get(f"{API}/assets/?state=failed").json()["results"]
    assert [a["title"] for a in failed] == ["pro"]
    both = api.get(f"{API}/assets/?state=failed&state=queued").json()
    assert both["count"] == 4
    assert api.get(f"{API}/assets/?model=gemini-3-pro-image").json()["count"] == 1
    assert api.get(f"{API}/assets/?created_after=2000-01-01T00:00:00Z").json()["count"] == 4
    assert api.get(f"{API}/assets/?created_before=2000-01-01T00:00:00Z").json()["count"] == 0
    assert api.get(f"{API}/assets/?owner={alice.pk}").json()["count"] == 4


@pytest.mark.parametrize(
    "query",
    [
        "state=nope",
        "ordering=prompt",
        "created_after=yesterday",
        "owner=abc",
    ],
)
def test_bad_list_parameters_are_400(generation, api, query):
    error = error_of(api.get(f"{API}/assets/?{query}"), 400, "invalid")
    assert error["field_errors"]


def test_bad_page_is_404_and_owner_filter_cannot_probe_other_users(generation, api, bob):
    error_of(api.get(f"{API}/assets/?page=99"), 404, "not_found")
    assert (
        "owner"
        in error_of(api.get(f"{API}/assets/?owner={bob.pk}"), 400, "invalid")["field_errors"]
    )


def test_staff_with_view_permission_see_and_filter_everyone(generation, api, bob, staff_viewer):
    api.post(f"{API}/assets/", BODY, format="json")
    client_for(bob).post(f"{API}/assets/", BODY, format="json")
    staff = client_for(staff_viewer)
    assert staff.get(f"{API}/assets/").json()["count"] == 2
    data = staff.get(f"{API}/assets/?owner={bob.pk}").json()
    assert [a["owner"]["username"] for a in data["results"]] == ["bob"]


# -- another user's asset --------------------------------------------------------------------

DETAIL_ROUTES = [
    ("get", "{asset}/", None),
    ("patch", "{asset}/", {"title": "x"}),
    ("delete", "{asset}/", None),
    ("post", "{asset}/regenerate/", {}),
    ("post", "{asset}/edit/", {"instruction": "x"}),
    ("put", "{asset}/overlay/", {"overlay": None}),
    ("patch", "{asset}/overlay/", {"overlay": {"text": "x"}}),
    ("post", "{asset}/revert/", {"version": "{version}"}),
    ("get", "{asset}/versions/", None),
]


def _call(client, method, path, body, asset):
    url = f"{API}/assets/" + path.format(asset=asset.pk)
    if isinstance(body, dict):
        body = {
            k: (str(asset.current_version_id) if v == "{version}" else v) for k, v in body.items()
        }
    return getattr(client, method)(url, body, format="json")


@pytest.mark.parametrize(("method", "path", "body"), DETAIL_ROUTES)
def test_another_users_asset_is_404_on_every_route(finished_asset, bob, method, path, body):
    response = _call(client_for(bob), method, path, body, finished_asset)
    error_of(response, 404, "not_found")
    version = finished_asset.current_version_id
    error_of(client_for(bob).get(f"{API}/versions/{version}/"), 404, "not_found")
    error_of(client_for(bob).post(f"{API}/versions/{version}/cancel/"), 404, "not_found")
    assert GeneratedAsset.objects.filter(pk=finished_asset.pk).exists()


@pytest.mark.parametrize(("method", "path", "body"), DETAIL_ROUTES[1:-1])
def test_staff_who_may_only_view_get_403_on_changes(
    finished_asset, staff_viewer, method, path, body
):
    staff = client_for(staff_viewer)
    assert staff.get(f"{API}/assets/{finished_asset.pk}/").status_code == 200
    error_of(_call(staff, method, path, body, finished_asset), 403, "permission_denied")


def test_staff_with_permissions_act_on_anyones_asset(finished_asset, staff_editor, run_queued):
    staff = client_for(staff_editor)
    response = staff.post(
        f"{API}/assets/{finished_asset.pk}/regenerate/", {"seed": 7}, format="json"
    )
    assert response.status_code == 202
    assert response.json()["version"]["seed"] == 7
    assert staff.delete(f"{API}/assets/{finished_asset.pk}/").status_code == 204


@pytest.mark.parametrize(
    "path",
    ["assets/", "assets/{asset}/", "versions/{version}/", "models/", "usage/", "references/"],
)
def test_anonymous_requests_are_401(finished_asset, path):
    url = f"{API}/" + path.format(
        asset=finished_asset.pk, version=finished_asset.current_version_id
    )
    response = client_for(None).get(url)
    error_of(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"
    error_of(client_for(None).post(f"{API}/assets/", BODY, format="json"), 401, "not_authenticated")


def test_bad_token_is_401(db):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token nope")
    error_of(client.get(f"{API}/assets/"), 401, "authentication_failed")


def test_session_authentication_needs_csrf(generation, alice):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.get(f"{API}/assets/").status_code == 200
    error = error_of(client.post(f"{API}/assets/", BODY, format="json"), 403, "permission_denied")
    assert "CSRF" in error["message"]
    client.get("/admin/login/")  # sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    response = client.post(f"{API}/assets/", BODY, format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 202


def test_invalid_ids_are_404(api):
    error_of(api.get(f"{API}/assets/not-a-uuid/"), 404, "not_found")
    error_of(api.get(f"{API}/versions/123/"), 404, "not_found")


# -- regenerate, edit, overlay, revert, delete -----------------------------------------------


def test_regenerate_with_changes_makes_a_child_version(finished_asset, api, run_queued):
    first = finished_asset.current_version
    response = api.post(
        f"{API}/assets/{finished_asset.pk}/regenerate/",
        {"prompt": "A lighthouse in fog", "seed": 3},
        format="json",
    )
    assert response.status_code == 202
    data = response.json()["version"]
    assert data["kind"] == "regenerate" and data["parent"] == str(first.pk)
    assert data["prompt"] == "A lighthouse in fog" and data["seed"] == 3
    assert data["aspect_ratio"] == "16:9"
    run_queued()
    asset = api.get(f"{API}/assets/{finished_asset.pk}/").json()
    assert asset["current_version"]["id"] == data["id"]
    versions = api.get(f"{API}/assets/{finished_asset.pk}/versions/").json()
    assert [v["id"] for v in versions["results"]] == [data["id"], str(first.pk)]


def test_regenerate_errors(finished_asset, api):
    url = f"{API}/assets/{finished_asset.pk}/regenerate/"
    error = error_of(api.post(url, {"aspect_ratio": "5:7"}, format="json"), 400, "invalid")
    assert "aspect_ratio" in error["field_errors"]
    error = error_of(
        api.post(url, {"version": "7d2f0a4e-8a38-4a52-9d0b-4a3c1b2a9f00"}, format="json"),
        400,
        "invalid",
    )
    assert "version" in error["field_errors"]


def test_edit_needs_a_finished_version(generation, api, run_queued):
    created = api.post(f"{API}/assets/", BODY, format="json").json()
    url = f"{API}/assets/{created['asset']['id']}/edit/"
    error_of(api.post(url, {"instruction": "Add a boat"}, format="json"), 409, "state_conflict")
    error_of(
        api.post(url, {"instruction": "x", "version": created["version"]["id"]}, format="json"),
        409,
        "state_conflict",
    )
    run_queued()
    error = error_of(api.post(url, {}, format="json"), 400, "invalid")
    assert "instruction" in error["field_errors"]
    response = api.post(url, {"instruction": "Add a boat"}, format="json")
    assert response.status_code == 202
    assert response.json()["version"]["kind"] == "edit"
    assert response.json()["version"]["parent"] == created["version"]["id"]


def test_edit_with_a_reference(finished_asset, api):
    from tests.helpers import png_bytes

    ref = api.post(f"{API}/references/", {"file": _upload(png_bytes())}, format="multipart").json()
    response = api.post(
        f"{API}/assets/{finished_asset.pk}/edit/",
        {"instruction": "Use this colour", "references": [ref["id"]]},
        format="json",
    )
    assert response.status_code == 202
    assert response.json()["version"]["references"] == [ref["id"]]


def _upload(data: bytes, name: str = "ref.png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/png")


def test_overlay_put_patch_and_clear_without_generating(finished_asset, api, generation):
    url = f"{API}/assets/{finished_asset.pk}/overlay/"
    calls = len(generation.generate_requests())
    response = api.put(url, {"overlay": {"text": "Hello", "anchor": "top-left"}}, format="json")
    assert response.status_code == 202
    assert response.json()["overlay"]["text"] == "Hello"
    response = api.patch(url, {"overlay": {"text": "Bye"}}, format="json")
    assert response.status_code == 202
    assert response.json()["overlay"]["text"] == "Bye"
    assert response.json()["overlay"]["anchor"] == "top-left"  # kept by PATCH
    assert api.patch(url, {}, format="json").json()["overlay"]["text"] == "Bye"
    error = error_of(
        api.put(url, {"overlay": {"text": "x", "anchor": "middle-ish"}}, format="json"),
        400,
        "invalid",
    )
    assert "overlay.anchor" in error["field_errors"]
    error_of(api.put(url, {}, format="json"), 400, "invalid")
    assert api.put(url, {"overlay": None}, format="json").json()["overlay"] is None
    assert AssetVersion.objects.filter(asset=finished_asset).count() == 1
    assert len(generation.generate_requests()) == calls


def test_overlay_contrast_per_rendition_and_warning_below_three(finished_asset, api):
    from django_nanobanana.services.assets import render_current

    url = f"{API}/assets/{finished_asset.pk}/overlay/"
    api.put(url, {"overlay": {"text": "Sale"}}, format="json")
    render_current(finished_asset.pk)
    data = api.get(f"{API}/assets/{finished_asset.pk}/").json()
    assert data["overlay"]["style"] == "auto"
    assert data["renditions"] and all(
        r["contrast"] >= 4.5 and r["treatment"] in ("plain", "shadow", "scrim")
        for r in data["renditions"]
    )
    assert data["overlay_contrast"] == min(r["contrast"] for r in data["renditions"])
    assert data["overlay_warning"] is None
    ghost = {
        "text": "Sale",
        "color": "#808080",
        "background": "box",
        "background_color": "#808080",
        "background_opacity": 1,
    }
    assert api.put(url, {"overlay": ghost}, format="json").json()["overlay"]["style"] == "custom"
    render_current(finished_asset.pk)
    data = api.get(f"{API}/assets/{finished_asset.pk}/").json()
    assert {r["treatment"] for r in data["renditions"]} == {"custom"}
    assert data["overlay_contrast"] < 3 and "3:1" in data["overlay_warning"]
    # Without an overlay there is nothing to measure.
    api.put(url, {"overlay": None}, format="json")
    render_current(finished_asset.pk)
    data = api.get(f"{API}/assets/{finished_asset.pk}/").json()
    assert data["overlay_contrast"] is None and data["overlay_warning"] is None
    assert all(r["contrast"] is None and r["treatment"] == "" for r in data["renditions"])


def test_revert_to_an_earlier_version(finished_asset, api, run_queued):
    first = finished_asset.current_version_id
    api.post(f"{API}/assets/{finished_asset.pk}/regenerate/", {"seed": 9}, format="json")
    run_queued()
    url = f"{API}/assets/{finished_asset.pk}/revert/"
    response = api.post(url, {"version": str(first)}, format="json")
    assert response.status_code == 200
    assert response.json()["current_version"]["id"] == str(first)
    error_of(api.post(url, {}, format="json"), 400, "invalid")
    queued = api.post(f"{API}/assets/{finished_asset.pk}/regenerate/", {}, format="json").json()[
        "version"
    ]["id"]
    error_of(api.post(url, {"version": queued}, format="json"), 409, "state_conflict")


def test_patch_title_and_alt_text(finished_asset, api):
    response = api.patch(
        f"{API}/assets/{finished_asset.pk}/", {"alt_text": "New alt"}, format="json"
    )
    assert response.status_code == 200 and response.json()["alt_text"] == "New alt"
    error_of(
        api.patch(f"{API}/assets/{finished_asset.pk}/", {"title": "x" * 201}, format="json"),
        400,
        "invalid",
    )


def test_delete_cancels_queued_work_and_refuses_while_running(generation, api):
    created = api.post(f"{API}/assets/", BODY, format="json").json()
    asset_id = created["asset"]["id"]
    AssetVersion.objects.filter(pk=created["version"]["id"]).update(state=State.RUNNING)
    error_of(api.delete(f"{API}/assets/{asset_id}/"), 409, "state_conflict")
    AssetVersion.objects.filter(pk=created["version"]["id"]).update(state=State.QUEUED)
    assert api.delete(f"{API}/assets/{asset_id}/").status_code == 204
    error_of(api.get(f"{API}/assets/{asset_id}/"), 404, "not_found")


def test_cancel_queued_version_then_409(generation, api):
    created = api.post(f"{API}/assets/", BODY, format="json").json()
    url = f"{API}/versions/{created['version']['id']}/cancel/"
    response = api.post(url)
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    assert response.json()["reason"]
    error_of(api.post(url), 409, "state_conflict")
