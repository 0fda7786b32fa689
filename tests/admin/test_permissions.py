"""Permission matrix: every admin page and action with and without each permission."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import RequestFactory
from django.urls import reverse

from django_nanobanana.admin.assets import GeneratedAssetAdmin
from django_nanobanana.models import GeneratedAsset

from .conftest import add_version

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


# name, method, rule(perms) -> allowed
VIEWS: dict[str, tuple[str, Callable[[set[str]], bool]]] = {
    "changelist": ("get", lambda p: bool(p & {"view", "change"})),
    "change": ("get", lambda p: bool(p & {"view", "change"})),
    "status": ("get", lambda p: bool(p & {"view", "change"})),
    "add": ("get", lambda p: _has(p, "add", "generate")),
    "generate": ("get", lambda p: _has(p, "change", "generate")),
    "regenerate": ("get", lambda p: _has(p, "change", "generate")),
    "edit": ("get", lambda p: _has(p, "change", "generate")),
    "overlay": ("post", lambda p: "change" in p),
    "overlay_preview": ("post", lambda p: "change" in p),
    "make_current": ("post", lambda p: "change" in p),
    "cancel": ("post", lambda p: "change" in p),
    "usage": ("get", lambda p: "view_usage" in p),
    "usage_csv": ("get", lambda p: "view_usage" in p),
}


@pytest.mark.parametrize("perm_set", list(PERM_SETS))
@pytest.mark.parametrize("view", list(VIEWS))
def test_permission_matrix(view, perm_set, make_user, login, make_asset):
    user = make_user(*PERM_SETS[perm_set])
    client = login(user)
    asset = make_asset("Guarded")
    older = asset.current_version
    queued = add_version(asset, state="queued")
    newer = add_version(asset)
    GeneratedAsset.objects.filter(pk=asset.pk).update(current_version=newer)
    method, rule = VIEWS[view]
    name = f"admin:nanobanana_generatedasset_{view}"
    no_object = view in ("changelist", "add", "usage", "usage_csv")
    target = reverse(name) if no_object else reverse(name, args=[asset.pk])
    data = {}
    if view == "make_current":
        data = {"version": older.pk}
    elif view == "cancel":
        data = {"version": queued.pk}
    elif view in ("overlay", "overlay_preview"):
        data = {"overlay-text": "Hi"}
    response = getattr(client, method)(target, data)
    allowed = rule(set(PERM_SETS[perm_set]))
    if allowed:
        assert response.status_code in (200, 302), (view, perm_set, response.status_code)
    else:
        assert response.status_code == 403, (view, perm_set, response.status_code)
    # nothing changed without permission
    asset.refresh_from_db()
    queued.refresh_from_db()
    if view == "make_current":
        assert (asset.current_version_id == older.pk) == allowed
    if view == "cancel":
        assert (queued.state == "cancelled") == allowed


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
    html = client.get(reverse("admin:nanobanana_generatedasset_change",
                              args=[asset.pk])).content.decode()
    perms = set(PERM_SETS[perm_set])
    assert ("nb-make-current" in html) == ("change" in perms)
    assert ('id="nb-overlay-form"' in html) == ("change" in perms)
    assert ("Edit from this version" in html) == _has(perms, "change", "generate")
    assert ('id="nb-tool-generate"' in html) == _has(perms, "change", "generate")


def test_dashboard_links_budgets_only_with_manage_budgets(make_user, login):
    plain = login(make_user("view_usage")).get(
        reverse("admin:nanobanana_generatedasset_usage")).content.decode()
    assert "Manage budgets" not in plain
    both = login(make_user("view_usage", "manage_budgets")).get(
        reverse("admin:nanobanana_generatedasset_usage")).content.decode()
    assert "Manage budgets" in both


def test_changelist_links_dashboard_only_with_view_usage(make_user, login):
    html = login(make_user("view")).get(
        reverse("admin:nanobanana_generatedasset_changelist")).content.decode()
    assert "nb-usage-link" not in html
    html = login(make_user("view", "view_usage")).get(
        reverse("admin:nanobanana_generatedasset_changelist")).content.decode()
    assert "nb-usage-link" in html
