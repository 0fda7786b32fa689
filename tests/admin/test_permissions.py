"""Permission matrix: every admin page and action with and without each permission."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.urls import reverse

from django_nanobanana.admin.assets import GeneratedAssetAdmin
from django_nanobanana.models import GeneratedAsset
from tests import access_matrix as m
from tests.helpers import add_version

pytestmark = pytest.mark.django_db

PERM_SETS: dict[str, tuple[str, ...]] = {
    "none": (),
    "view": ("view",),
    "change": ("change",),
    "generate": ("generate",),
    "change+generate": ("change", "generate"),
    "add+generate": ("add", "generate"),
    "view_usage": ("view_usage",),
    "manage_budgets": ("manage_budgets",),
}


def _has(perms: set[str], *needed: str) -> bool:
    return all(n in perms for n in needed)


# view -> (method, action of the access policy, status when the image is hidden)
OBJECT_VIEWS: dict[str, tuple[str, str, int]] = {
    # Django's own views answer 403 for an image that is hidden (or does not exist).
    "change": ("get", "view", 403),
    "history": ("get", "view", 302),  # Django: "does not exist" redirect
    "status": ("get", "view", 404),
    "generate": ("get", "regenerate", 404),
    "regenerate": ("get", "regenerate", 404),
    "edit": ("get", "regenerate", 404),
    "overlay": ("post", "change", 404),
    "overlay_preview": ("post", "change", 404),
    "make_current": ("post", "change", 404),
    "cancel": ("post", "change", 404),
    "delete": ("get", "delete", 403),
    "delete_post": ("post", "delete", 403),
}


@pytest.mark.parametrize("role", list(m.ROLES))
@pytest.mark.parametrize("view", list(OBJECT_VIEWS))
def test_permission_matrix(view, role, client):
    """Every object view of the image admin for every role (tests/access_matrix.py)."""
    user, asset = m.setup_role(role)
    client.force_login(user)
    older = asset.current_version
    queued = m.queued_version(asset)
    newer = add_version(asset)
    GeneratedAsset.objects.filter(pk=asset.pk).update(current_version=newer)
    method, action, hidden = OBJECT_VIEWS[view]
    name = view.removesuffix("_post")
    target = reverse(f"admin:nanobanana_generatedasset_{name}", args=[asset.pk])
    data: dict = {}
    if view == "make_current":
        data = {"version": older.pk}
    elif view == "cancel":
        data = {"version": queued.pk}
    elif view in ("overlay", "overlay_preview"):
        data = {"overlay-text": "Hi"}
    elif view == "delete_post":
        data = {"post": "yes"}
    response = getattr(client, method)(target, data)
    allowed = role in m.RULES[action]
    if not user.is_staff:  # the admin is for staff: the login page
        assert response.status_code == 302 and "/login/" in response["Location"]
        allowed = False
    else:
        expected = m.expected_status(role, action, ok=(200, 302), hidden=hidden)
        assert response.status_code in expected, (view, role, response.status_code)
    # nothing changed without permission
    asset_row = GeneratedAsset.objects.filter(pk=asset.pk).first()
    if view == "delete_post":
        assert (asset_row is None) == allowed
        return
    queued.refresh_from_db()
    if view == "make_current":
        assert (asset_row.current_version_id == older.pk) == allowed
    if view == "cancel":
        assert (queued.state == "cancelled") == allowed
    if view == "overlay":
        assert bool(asset_row.overlay) == allowed


@pytest.mark.parametrize("role", list(m.ROLES))
def test_list_and_add_matrix(role, client):
    """The list shows the image exactly to those who may see it; the add page (a
    generation) needs the right to generate."""
    user, asset = m.setup_role(role)
    client.force_login(user)
    listing = client.get(reverse("admin:nanobanana_generatedasset_changelist"))
    add = client.get(reverse("admin:nanobanana_generatedasset_add"))
    if not user.is_staff:
        assert listing.status_code == add.status_code == 302
        return
    if role in m.VIEW:
        assert listing.status_code == 200
        assert asset.title in listing.content.decode()
    else:
        assert listing.status_code == 403
    assert add.status_code == (200 if role in m.CREATE else 403)


@pytest.mark.parametrize("role", ["owner", "staff+view", "staff+change+generate"])
def test_actions_skip_images_the_user_may_not_act_on(role, client):
    """A changelist action posted with a hidden or untouchable image's id changes nothing
    of it."""
    user, asset = m.setup_role(role)
    other = m.finished_asset(get_user_model().objects.create_user("carol"), "Carol's")
    client.force_login(user)
    response = client.post(
        reverse("admin:nanobanana_generatedasset_changelist"),
        {
            "action": "overlay_action",
            "_selected_action": [str(asset.pk), str(other.pk)],
            "apply": "1",
            "overlay-text": "Hacked",
        },
    )
    assert response.status_code in (200, 302, 403)
    other.refresh_from_db()
    # Carol's image: only a role that may change every image touches it.
    assert bool(other.overlay) == (role == "staff+change+generate")
    asset.refresh_from_db()
    assert bool(asset.overlay) == (role in m.CHANGE)


@pytest.mark.parametrize("perm_set", list(PERM_SETS))
def test_changelist_actions_follow_permissions(perm_set, make_user):
    from django.contrib import admin

    user = make_user(*PERM_SETS[perm_set])
    request = RequestFactory().get("/")
    request.user = user
    model_admin = admin.site._registry[GeneratedAsset]
    assert isinstance(model_admin, GeneratedAssetAdmin)
    actions = set(model_admin.get_actions(request))
    perms = set(PERM_SETS[perm_set])
    spend = _has(perms, "change", "generate")
    assert ("generate_action" in actions) == spend
    assert ("regenerate_action" in actions) == spend
    assert ("edit_action" in actions) == spend
    assert ("overlay_action" in actions) == ("change" in perms)


@pytest.mark.parametrize("perm_set", ["view", "change", "change+generate"])
def test_change_page_offers_only_what_is_allowed(perm_set, make_user, login, make_asset):
    client = login(make_user(*PERM_SETS[perm_set]))
    asset = make_asset("Buttons")
    add_version(asset)
    html = client.get(
        reverse("admin:nanobanana_generatedasset_change", args=[asset.pk])
    ).content.decode()
    perms = set(PERM_SETS[perm_set])
    assert ("nb-make-current" in html) == ("change" in perms)
    assert ('id="nb-overlay-form"' in html) == ("change" in perms)
    assert ("Edit from this version" in html) == _has(perms, "change", "generate")
    assert ('id="nb-tool-generate"' in html) == _has(perms, "change", "generate")


def test_dashboard_links_budgets_only_with_manage_budgets(make_user, login):
    plain = (
        login(make_user("view_usage"))
        .get(reverse("admin:nanobanana_generatedasset_usage"))
        .content.decode()
    )
    assert "Manage budgets" not in plain
    both = (
        login(make_user("view_usage", "manage_budgets"))
        .get(reverse("admin:nanobanana_generatedasset_usage"))
        .content.decode()
    )
    assert "Manage budgets" in both


def test_changelist_links_dashboard_only_with_view_usage(make_user, login):
    html = (
        login(make_user("view"))
        .get(reverse("admin:nanobanana_generatedasset_changelist"))
        .content.decode()
    )
    assert "nb-usage-link" not in html
    html = (
        login(make_user("view", "view_usage"))
        .get(reverse("admin:nanobanana_generatedasset_changelist"))
        .content.decode()
    )
    assert "nb-usage-link" in html


def test_hole5_admin_reference_picker_lists_only_usable_images(client):
    """Issue 13, hole 5: the admin's reference picker listed every user's images."""
    user = m.make_role_user("owner+generate", extra_perms=("nanobanana.add_generatedasset",))
    own = m.finished_asset(user, title="My own lighthouse")
    alice = get_user_model().objects.create_user("alice")
    private = m.finished_asset(alice, title="Alice private portrait")
    client.force_login(user)
    url = reverse("admin:nanobanana_generatedasset_add")
    html = client.get(url).content.decode()
    assert f'value="{own.pk}"' in html
    assert f'value="{private.pk}"' not in html and "Alice private portrait" not in html
    versions = private.versions.count() + own.versions.count()
    response = client.post(
        url,
        {
            "title": "Copy",
            "prompt": "the same portrait",
            "model": "gemini-3.1-flash-image-preview",
            "reference_assets": [str(private.pk)],
        },
    )
    assert response.status_code == 200
    assert "reference_assets" in response.context["form"].errors
    assert private.versions.count() + own.versions.count() == versions
    assert GeneratedAsset.objects.count() == 2
