"""Permission matrix of the CMS-side surfaces for every role of ``tests/access_matrix.py``:
the Wagtail section and chooser, the plain-Django chooser popup, the django CMS plugin and
the model field with its widget. Hole 1 of issue 13 (Wagtail delete, history, usage) is
tested in ``test_wagtail.py``.

Run with ``pytest --ds=tests.settings_cms tests/contrib``.
"""

from __future__ import annotations

import json

import pytest
from cms.api import create_page
from cms.models import PageContent
from cms.utils.placeholder import rescan_placeholders_for_obj
from django.forms import modelform_factory
from django.urls import reverse

from django_nanobanana.contrib.djangocms.models import GeneratedAssetPluginModel
from django_nanobanana.fields import limit_to_user
from django_nanobanana.models import GeneratedAsset
from tests import access_matrix as m
from tests.contrib.testapp.models import Article

pytestmark = pytest.mark.django_db

WAGTAIL_PERMS = ("wagtailadmin.access_admin", "wagtailimages.add_image")


@pytest.fixture
def env(media_root, small_renditions, settings):
    return media_root


def _denied(response) -> bool:
    """Wagtail answers a refused permission with 403 or a redirect to its dashboard."""
    return response.status_code == 403 or (
        response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    )


def _check(response, role: str, action: str, ok: tuple[int, ...] = (200,)) -> None:
    if role in m.RULES[action]:
        assert response.status_code in ok, (role, action, response.status_code)
    elif role in m.VIEW:
        assert _denied(response), (role, action, response.status_code)
    else:  # hidden: 404, or refused before any image is looked up (same for every id)
        assert response.status_code == 404 or _denied(response), (
            role,
            action,
            response.status_code,
        )


# -- Wagtail: the "Generated images" section ------------------------------------------------------

# view -> (method, url name, action)
WAGTAIL_VIEWS: dict[str, tuple[str, str, str]] = {
    "edit": ("get", "nanobanana_assets:edit", "change"),
    "edit_post": ("post", "nanobanana_assets:edit", "change"),
    "delete": ("get", "nanobanana_assets:delete", "delete"),
    "delete_post": ("post", "nanobanana_assets:delete", "delete"),
    "history": ("get", "nanobanana_assets:history", "view"),
    "history_results": ("get", "nanobanana_assets:history_results", "view"),
    "usage": ("get", "nanobanana_assets:usage", "view"),
    "copy_to_library": ("get", "nanobanana_assets:copy_to_library", "view"),
    "chooser_chosen": ("get", "nanobanana_wagtail_chooser:chosen", "view"),
}


@pytest.mark.parametrize("role", list(m.ROLES))
@pytest.mark.parametrize("view", list(WAGTAIL_VIEWS))
def test_wagtail_object_view_matrix(view, role, client, env):
    user, asset = m.setup_role(role, extra_perms=WAGTAIL_PERMS)
    client.force_login(user)
    method, name, action = WAGTAIL_VIEWS[view]
    data = {"title": "Renamed", "alt_text": ""} if view == "edit_post" else {}
    response = getattr(client, method)(reverse(name, args=[asset.pk]), data)
    _check(response, role, action, ok=(200, 302))
    if response.status_code == 200 and view != "history_results":
        assert asset.title.encode() in response.content
    row = GeneratedAsset.objects.filter(pk=asset.pk).first()
    allowed = role in m.RULES[action]
    assert (row is None) == (allowed and view == "delete_post")
    if row is not None:
        assert (row.title == "Renamed") == (allowed and view == "edit_post")


@pytest.mark.parametrize("role", list(m.ROLES))
def test_wagtail_lists_and_generate_matrix(role, client, env):
    user, asset = m.setup_role(role, extra_perms=WAGTAIL_PERMS)
    client.force_login(user)
    index = client.get(reverse("nanobanana_assets:index"))
    if role in m.VIEW or role in m.CREATE:
        assert index.status_code == 200
        assert (asset.title.encode() in index.content) == (role in m.VIEW)
    else:
        assert _denied(index)
    choose = client.get(reverse("nanobanana_wagtail_chooser:choose"))
    html = json.loads(choose.content)["html"] if choose.status_code == 200 else ""
    assert (asset.title in html) == (role in m.VIEW)
    assert ("Generate new" in html) == (role in m.CREATE)
    add = client.get(reverse("nanobanana_assets:add"))
    if role in m.CREATE:
        assert add.status_code == 200
    else:
        assert _denied(add)


# -- the plain-Django chooser popup ---------------------------------------------------------------


@pytest.mark.parametrize("role", list(m.ROLES))
def test_plain_chooser_matrix(role, client, env):
    user, asset = m.setup_role(role)
    client.force_login(user)
    choose = client.get(reverse("nanobanana_chooser:choose"), {"format": "json"})
    status = client.get(
        reverse("nanobanana_chooser:status", args=[asset.current_version_id]), {"format": "json"}
    )
    generate = client.get(reverse("nanobanana_chooser:generate"))
    if not user.is_staff:  # a staff tool: the admin's login page
        assert choose.status_code == status.status_code == generate.status_code == 302
        return
    ids = {r["id"] for r in choose.json()["results"]}
    assert (str(asset.pk) in ids) == (role in m.VIEW)
    assert status.status_code == (200 if role in m.VIEW else 404)
    assert generate.status_code == (200 if role in m.CREATE else 403)


# -- the model field and its widget ---------------------------------------------------------------


@pytest.mark.parametrize("role", list(m.ROLES))
def test_field_and_widget_matrix(role, env):
    user, asset = m.setup_role(role)
    form_class = modelform_factory(Article, fields=["title", "hero"])
    form = form_class({"title": "Post", "hero": str(asset.pk)})
    limit_to_user(form, user)
    assert form.is_valid() == (role in m.VIEW), form.errors
    html = str(
        form_class(instance=Article(title="Post", hero=asset)).__class__(
            instance=Article(title="Post", hero=asset)
        )
    )
    limited = form_class(instance=Article(title="Post", hero=asset))
    limit_to_user(limited, user)
    # an image already placed stays acceptable, but its title shows only to who may see it
    assert asset.title in html
    assert (asset.title in str(limited["hero"])) == (role in m.VIEW)


@pytest.mark.parametrize("role", ["owner", "staff", "staff+view"])
def test_field_in_a_model_admin_with_the_mixin(role, client, env):
    """``GeneratedAssetFieldsAdminMixin`` (tests/contrib/testapp/admin.py): an article's
    image must be one the editor may see."""
    user, asset = m.setup_role(role, extra_perms=("nanobanana_testapp.add_article",))
    client.force_login(user)
    response = client.post(
        reverse("admin:nanobanana_testapp_article_add"), {"title": "Post", "hero": str(asset.pk)}
    )
    assert Article.objects.filter(hero=asset).exists() == (role in m.VIEW)
    if role not in m.VIEW:
        assert response.status_code == 200 and "hero" in response.context["adminform"].form.errors


@pytest.mark.parametrize("role", ["owner", "staff", "staff+view"])
def test_wagtail_page_form_field_follows_the_policy(role, env):
    """A Wagtail page form (it knows its user as ``for_user``) accepts as the page's
    ``GeneratedAssetField`` only an image the editor may see."""
    from tests.contrib.testapp.models import ImagePage

    user, asset = m.setup_role(role, extra_perms=WAGTAIL_PERMS)
    form_class = ImagePage.get_edit_handler().get_form_class()
    form = form_class(
        {"title": "Page", "slug": "page", "hero": str(asset.pk), "body-count": "0"},
        instance=ImagePage(),
        for_user=user,
    )
    form.is_valid()
    assert ("hero" in form.errors) == (role not in m.VIEW), form.errors


def _page_editor(user):
    """``user`` may add, edit and publish pages below the home page."""
    from django.contrib.auth.models import Group, Permission
    from wagtail.models import GroupPagePermission, Page

    home = Page.get_first_root_node().get_children().first()
    group = Group.objects.create(name=f"Editors {user.pk}")
    for codename in ("add_page", "change_page", "publish_page"):
        GroupPagePermission.objects.create(
            group=group,
            page=home,
            permission=Permission.objects.get(
                content_type__app_label="wagtailcore", codename=codename
            ),
        )
    user.groups.add(group)
    return home


def _stream_post(page, hero, image, title="Page"):
    return {
        "title": title,
        "slug": page.slug,
        "hero": str(hero.pk),
        "body-count": "1",
        "body-0-type": "image",
        "body-0-value": str(image.pk),
        "body-0-deleted": "",
        "body-0-order": "0",
        "body-0-id": "",
    }


@pytest.mark.parametrize("role", ["owner", "staff", "staff+view"])
def test_wagtail_streamfield_block_follows_the_policy(role, env, client):
    """The page editor's POST, hand-crafted as it could be: the StreamField block accepts
    only an image the editor may see (Wagtail gives blocks no user: the edit view's hook
    records the editor)."""
    from django_nanobanana.contrib.wagtail import editing
    from tests.contrib.testapp.models import ImagePage

    user, asset = m.setup_role(role, extra_perms=WAGTAIL_PERMS)
    home = _page_editor(user)
    hero = m.finished_asset(user, title="Editor's own")
    page = home.add_child(instance=ImagePage(title="Page", slug="page", hero=hero))
    client.force_login(user)
    edit = reverse("wagtailadmin_pages:edit", args=[page.pk])
    response = client.post(edit, _stream_post(page, hero, asset))
    assert editing.current() is None  # cleared with the request: nothing for the next one
    saved = ImagePage.objects.get(pk=page.pk).get_latest_revision_as_object()
    placed = [block.value for block in saved.body]
    if role in m.VIEW:
        assert response.status_code == 302, response.content[:500]
        assert placed == [asset]
    else:
        assert response.status_code == 200
        assert b"not available to you" in response.content
        assert placed == []


def test_wagtail_streamfield_keeps_an_image_someone_else_placed(env, client):
    """An editor who may not see an image already on the page can still save the page:
    the image stays (as the form field keeps its saved value)."""
    from tests.contrib.testapp.models import ImagePage

    user, asset = m.setup_role("staff", extra_perms=WAGTAIL_PERMS)
    home = _page_editor(user)
    hero = m.finished_asset(user, title="Editor's own")
    page = home.add_child(
        instance=ImagePage(title="Page", slug="page", hero=hero, body=[("image", asset)])
    )
    client.force_login(user)
    edit = reverse("wagtailadmin_pages:edit", args=[page.pk])
    response = client.post(edit, _stream_post(page, hero, asset, title="Renamed"))
    assert response.status_code == 302, response.content[:500]
    saved = ImagePage.objects.get(pk=page.pk).get_latest_revision_as_object()
    assert saved.title == "Renamed" and [block.value for block in saved.body] == [asset]


# -- django CMS: the plugin ----------------------------------------------------------------------

CMS_PERMS = (
    "cms.change_page",
    "cms.add_page",
    "nanobanana_djangocms.add_generatedassetpluginmodel",
    "nanobanana_djangocms.change_generatedassetpluginmodel",
)


@pytest.mark.parametrize("role", list(m.ROLES))
def test_djangocms_plugin_matrix(role, client, env, editor):
    user, asset = m.setup_role(role, extra_perms=CMS_PERMS)
    page = create_page("Home", "cms_page.html", "en", created_by=editor)
    content = PageContent.admin_manager.get(page=page, language="en")
    placeholder = rescan_placeholders_for_obj(content)["content"]
    client.force_login(user)
    url = reverse("admin:cms_placeholder_add_plugin") + (
        f"?placeholder_id={placeholder.pk}&plugin_type=GeneratedAssetPlugin"
        "&plugin_language=en&plugin_position=1"
    )
    response = client.post(
        url,
        {
            "asset": str(asset.pk),
            "sizes": "100vw",
            "loading": "lazy",
            "overlay_text": "Sale",
            "overlay_anchor": "center",
            "overlay_color": "#ffcc00",
        },
    )
    if not user.is_staff:
        assert response.status_code == 302
        assert not GeneratedAssetPluginModel.objects.exists()
        return
    assert response.status_code in (200, 403), response.status_code
    placed = GeneratedAssetPluginModel.objects.filter(asset=asset).exists()
    assert placed == (role in m.VIEW)
    asset.refresh_from_db()
    assert bool(asset.overlay) == (role in m.CHANGE)
