"""Permission matrix of the REST API: every endpoint for every role of
``tests/access_matrix.py``, and the holes of issue 13 the API had (3 and 5)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django_q.models import OrmQ

from django_nanobanana.exceptions import RequestValidationError
from django_nanobanana.models import AssetVersion, GeneratedAsset, ReferenceImage
from django_nanobanana.services import resolve_references, store_reference
from tests import access_matrix as m
from tests.helpers import API, client_for, make_user, png_bytes

pytestmark = pytest.mark.django_db

GENERATE_BODY = {"prompt": "A harbour at dawn", "aspect_ratio": "16:9"}

# name -> (method, path under /assets/<id>/ or /versions/<id>/, action, ok status)
OBJECT_ENDPOINTS: dict[str, tuple[str, str, str, int]] = {
    "retrieve": ("get", "assets/{asset}/", "view", 200),
    "versions": ("get", "assets/{asset}/versions/", "view", 200),
    "version": ("get", "versions/{version}/", "view", 200),
    "partial_update": ("patch", "assets/{asset}/", "change", 200),
    "overlay": ("put", "assets/{asset}/overlay/", "change", 202),
    "revert": ("post", "assets/{asset}/revert/", "change", 200),
    "cancel": ("post", "versions/{queued}/cancel/", "change", 200),
    "regenerate": ("post", "assets/{asset}/regenerate/", "regenerate", 202),
    "edit": ("post", "assets/{asset}/edit/", "regenerate", 202),
    "destroy": ("delete", "assets/{asset}/", "delete", 204),
}


def _body(name: str, asset: GeneratedAsset) -> dict:
    return {
        "partial_update": {"title": "Renamed"},
        "overlay": {"overlay": {"text": "Sale"}},
        "revert": {"version": str(asset.current_version_id)},
        "regenerate": {"seed": 7},
        "edit": {"instruction": "Add a boat"},
    }.get(name, {})


@pytest.fixture
def matrix_env(generation, settings):
    settings.REST_FRAMEWORK = {
        **getattr(settings, "REST_FRAMEWORK", {}),
        "DEFAULT_THROTTLE_RATES": {},
    }
    return generation


@pytest.mark.parametrize("role", list(m.ROLES))
@pytest.mark.parametrize("endpoint", list(OBJECT_ENDPOINTS))
def test_object_endpoint_matrix(endpoint, role, matrix_env):
    user, asset = m.setup_role(role)
    queued = m.queued_version(asset)
    method, path, action, ok = OBJECT_ENDPOINTS[endpoint]
    url = f"{API}/" + path.format(
        asset=asset.pk, version=asset.current_version_id, queued=queued.pk
    )
    before = AssetVersion.objects.count()
    response = getattr(client_for(user), method)(url, _body(endpoint, asset), format="json")
    assert response.status_code in m.expected_status(role, action, ok=ok), (
        endpoint,
        role,
        response.status_code,
        response.content[:300],
    )
    allowed = role in m.RULES[action]
    row = GeneratedAsset.objects.filter(pk=asset.pk).first()
    if endpoint == "destroy":
        assert (row is None) == allowed
        return
    queued.refresh_from_db()
    assert (row.title == "Renamed") == (allowed and endpoint == "partial_update")
    assert bool(row.overlay) == (allowed and endpoint == "overlay")
    assert (queued.state == "cancelled") == (allowed and endpoint == "cancel")
    queued_more = AssetVersion.objects.count() - before
    assert queued_more == (1 if allowed and endpoint in ("regenerate", "edit") else 0)


@pytest.mark.parametrize("role", list(m.ROLES))
def test_list_create_and_upload_matrix(role, matrix_env):
    user, asset = m.setup_role(role)
    api = client_for(user)
    listed = {a["id"] for a in api.get(f"{API}/assets/").json()["results"]}
    assert (str(asset.pk) in listed) == (role in m.VIEW)
    created = api.post(f"{API}/assets/", GENERATE_BODY, format="json")
    assert created.status_code == (202 if role in m.CREATE else 403), created.content[:300]
    upload = api.post(f"{API}/references/", {"file": _file(png_bytes())}, format="multipart")
    assert upload.status_code == 201


def _file(data: bytes, name: str = "ref.png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/png")


# -- hole 3: spending money needs the generate permission ---------------------------------------


def test_hole3_logged_in_user_without_generate_cannot_spend(matrix_env, finished_asset):
    """Issue 13, hole 3: any logged-in user could create (and, as owner, regenerate and
    edit) through the API without ``nanobanana.generate``."""
    alice = finished_asset.owner
    alice.user_permissions.clear()
    api = client_for(get_user_model().objects.get(pk=alice.pk))
    before = AssetVersion.objects.count()
    assert api.post(f"{API}/assets/", GENERATE_BODY, format="json").status_code == 403
    assert (
        api.post(f"{API}/assets/{finished_asset.pk}/regenerate/", {}, format="json").status_code
        == 403
    )
    assert (
        api.post(
            f"{API}/assets/{finished_asset.pk}/edit/", {"instruction": "More sun"}, format="json"
        ).status_code
        == 403
    )
    assert AssetVersion.objects.count() == before
    # what costs nothing stays the owner's to do
    assert (
        api.patch(
            f"{API}/assets/{finished_asset.pk}/", {"title": "Mine"}, format="json"
        ).status_code
        == 200
    )


def test_relaxed_setting_lets_users_generate_and_the_check_warns(matrix_env, settings, bob):
    bob.user_permissions.clear()
    bob = get_user_model().objects.get(pk=bob.pk)
    settings.NANOBANANA = {**settings.NANOBANANA, "REQUIRE_GENERATE_PERMISSION": False}
    response = client_for(bob).post(f"{API}/assets/", GENERATE_BODY, format="json")
    assert response.status_code == 202
    with pytest.raises(SystemCheckError, match=r"nanobanana\.W010"):
        call_command("check", fail_level="WARNING")
    settings.NANOBANANA = {
        **settings.NANOBANANA,
        "BUDGETS": [{"name": "each", "scope": "user", "period": "day", "amount": "1.00"}],
    }
    call_command("check", fail_level="WARNING")  # a budget applies to everyone: quiet


def test_reference_uploads_are_throttled(matrix_env, settings, alice):
    settings.REST_FRAMEWORK = {
        **getattr(settings, "REST_FRAMEWORK", {}),
        "DEFAULT_THROTTLE_RATES": {"nanobanana_references": "3/hour"},
    }
    api = client_for(alice)
    codes = [
        api.post(
            f"{API}/references/", {"file": _file(png_bytes(color=c))}, format="multipart"
        ).status_code
        for c in ("red", "green", "blue", "white")
    ]
    assert codes == [201, 201, 201, 429]
    assert ReferenceImage.objects.count() == 3


def test_overlay_edits_are_throttled_and_renders_coalesce(
    matrix_env, settings, finished_asset, alice, django_capture_on_commit_callbacks
):
    """Issue 13, hole 3: 60 overlay PUTs queued 60 render tasks. Now a render pending for
    the asset takes the newest overlay with it, and the edits are throttled."""
    settings.REST_FRAMEWORK = {
        **getattr(settings, "REST_FRAMEWORK", {}),
        "DEFAULT_THROTTLE_RATES": {"nanobanana_overlay": "20/minute"},
    }
    api = client_for(alice)
    url = f"{API}/assets/{finished_asset.pk}/overlay/"
    OrmQ.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        codes = [
            api.put(url, {"overlay": {"text": f"Sale {n}"}}, format="json").status_code
            for n in range(25)
        ]
    assert codes == [202] * 20 + [429] * 5
    assert _render_tasks() == 1
    # the one task renders the newest overlay
    from django_nanobanana.services.renditions import overlay_hash, overlay_spec
    from django_nanobanana.tasks import render_asset

    digest = render_asset(str(finished_asset.pk))
    finished_asset.refresh_from_db()
    assert finished_asset.overlay["text"] == "Sale 19"
    assert digest == overlay_hash(overlay_spec(finished_asset.overlay))
    # once rendered, the next change queues a task again
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {}}
    with django_capture_on_commit_callbacks(execute=True):
        assert api.put(url, {"overlay": None}, format="json").status_code == 202
    assert _render_tasks() == 2


def _render_tasks() -> int:
    return sum(1 for q in OrmQ.objects.all() if q.task["name"].startswith("nanobanana-render"))


# -- hole 5: references stay with their owner ----------------------------------------------------


def test_hole5_staff_without_permissions_cannot_use_another_users_reference(matrix_env, alice):
    """Issue 13, hole 5: a staff user without permissions could use any user's reference
    id in the API."""
    reference = store_reference(png_bytes(), user=alice, name="alice.png")
    staff = make_user("mallory", staff=True, perms=("nanobanana.generate",))
    before = AssetVersion.objects.count()
    response = client_for(staff).post(
        f"{API}/assets/", {**GENERATE_BODY, "references": [str(reference.pk)]}, format="json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert "references" in error["field_errors"]
    assert str(reference.pk) in " ".join(error["field_errors"]["references"])
    assert AssetVersion.objects.count() == before
    with pytest.raises(RequestValidationError):
        resolve_references([reference.pk], user=staff)
    # the uploader, and staff with view_referenceimage, may use it
    assert resolve_references([reference.pk], user=alice) == [reference]
    curator = make_user(
        "curator", staff=True, perms=("nanobanana.view_referenceimage", "nanobanana.generate")
    )
    assert resolve_references([reference.pk], user=curator) == [reference]
    ok = client_for(curator).post(
        f"{API}/assets/", {**GENERATE_BODY, "references": [str(reference.pk)]}, format="json"
    )
    assert ok.status_code == 202
