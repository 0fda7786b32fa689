"""Wagtail: chooser, block, panel, admin section and "copy into the image library"."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Page

from django_nanobanana.contrib.wagtail.blocks import GeneratedAssetChooserBlock
from django_nanobanana.contrib.wagtail.images import copy_to_image_library
from django_nanobanana.contrib.wagtail.viewsets import chooser_viewset
from django_nanobanana.models import AssetVersion, GeneratedAsset, State
from django_nanobanana.services import rerender_overlay
from django_nanobanana.services.assets import render_current
from django_nanobanana.templatetags.nanobanana import nanobanana_srcset
from tests.access_matrix import finished_asset
from tests.contrib.testapp.models import ImagePage

pytestmark = pytest.mark.django_db


def _modal_json(response) -> dict:
    assert response.status_code == 200, response.content[:500]
    return json.loads(response.content)


def _srcset(asset, fmt):
    rows = asset.current_version.renditions.filter(format=fmt).order_by("width")
    return ", ".join(f"{r.file.url} {r.width}w" for r in rows)


def test_chooser_returns_assets_with_search_and_thumbnails(client, editor, make_asset):
    lake = make_asset("A mountain lake", title="Lake")
    make_asset("A desert road", title="Road")
    client.force_login(editor)
    data = _modal_json(client.get(reverse("nanobanana_wagtail_chooser:choose")))
    assert data["step"] == "choose"
    assert "Lake" in data["html"] and "Road" in data["html"]
    assert (
        lake.current_version.renditions.filter(format="webp", width=320).get().file.url
        in data["html"]
    )
    assert "Generate new" in data["html"]  # the creation tab
    results = client.get(reverse("nanobanana_wagtail_chooser:choose_results"), {"q": "mountain"})
    html = results.content.decode()
    assert "Lake" in html and "Road" not in html
    chosen = _modal_json(client.get(reverse("nanobanana_wagtail_chooser:chosen", args=[lake.pk])))
    assert chosen["step"] == "chosen"
    assert chosen["result"]["id"] == str(lake.pk) and chosen["result"]["title"] == "Lake"


def test_chooser_hides_other_users_assets(client, make_asset):
    make_asset(title="Private")
    from django.contrib.auth.models import Permission

    clerk = get_user_model().objects.create_user("clerk", password="pw", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(clerk)
    data = _modal_json(client.get(reverse("nanobanana_wagtail_chooser:choose")))
    assert "Private" not in data["html"] and "Generate new" not in data["html"]
    asset = GeneratedAsset.objects.get()
    assert (
        client.get(reverse("nanobanana_wagtail_chooser:chosen", args=[asset.pk])).status_code == 404
    )


def test_chooser_generate_new_queues_through_services(
    client, editor, nanobanana_fake, django_capture_on_commit_callbacks
):
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=False):
        data = _modal_json(
            client.post(
                reverse("nanobanana_wagtail_chooser:create"),
                {"prompt": "A paper boat", "title": "Boat", "model": "gemini-2.5-flash-image"},
            )
        )
    assert data["step"] == "chosen"
    version = AssetVersion.objects.get()
    assert version.state == State.QUEUED and version.source == "admin"
    assert data["result"]["id"] == str(version.asset_id)
    assert "generating" in data["result"]["title"]
    invalid = _modal_json(
        client.post(
            reverse("nanobanana_wagtail_chooser:create"),
            {"prompt": "", "model": "gemini-2.5-flash-image"},
        )
    )
    assert invalid["step"] == "reshow_creation_form"


def test_block_renders_picture_with_srcset(make_asset):
    asset = make_asset(alt_text="A lighthouse")
    block = GeneratedAssetChooserBlock(sizes="50vw")
    assert block.get_prep_value(asset) == str(asset.pk)
    assert block.to_python(str(asset.pk)) == asset
    html = block.render(asset)
    assert html.startswith("<picture")
    assert f'srcset="{_srcset(asset, "webp")}"' in html
    assert f'srcset="{_srcset(asset, "jpeg")}"' in html
    assert 'sizes="50vw"' in html and 'alt="A lighthouse"' in html
    assert block.bulk_to_python([str(asset.pk), None]) == [asset, None]
    assert block.render(None) == ""


def test_block_api_representation_has_the_alt_text_pages_use(make_asset, settings):
    """Headless Wagtail (the page API) gets the alt text a page would show."""
    from tests.helpers import suggested_description

    asset = make_asset(alt_text="")
    suggested_description(
        asset.current_version, {"en": "Suggested lighthouse", "en-us": "Suggested lighthouse"}
    )
    block = GeneratedAssetChooserBlock()
    shown = block.get_api_representation(asset)
    assert shown["id"] == str(asset.pk) and shown["alt"] == ""
    settings.NANOBANANA = {**settings.NANOBANANA, "DESCRIPTIONS": {"USE_UNREVIEWED": True}}
    assert block.get_api_representation(asset)["alt"] == "Suggested lighthouse"
    assert block.get_api_representation(None) is None


def _page(asset):
    root = Page.get_first_root_node()
    home = root.get_children().first()
    page = ImagePage(title="Gallery", slug="gallery", hero=asset, body=[("image", asset)])
    home.add_child(instance=page)
    page.save_revision().publish()
    return page


def test_published_page_renders_field_and_block(client, make_asset):
    asset = make_asset()
    page = _page(asset)
    html = client.get(page.url).content.decode()
    hero, body = html.split('<div id="body">')
    assert f'srcset="{_srcset(asset, "webp")}"' in hero and 'sizes="100vw"' in hero
    assert f'srcset="{_srcset(asset, "webp")}"' in body and 'sizes="50vw"' in body
    assert nanobanana_srcset(asset, "jpeg") in body


def test_page_editor_uses_the_chooser(client, editor, make_asset):
    asset = make_asset(title="Lake")
    page = _page(asset)
    client.force_login(editor)
    html = client.get(reverse("wagtailadmin_pages:edit", args=[page.pk])).content.decode()
    assert reverse("nanobanana_wagtail_chooser:choose") in html
    assert "Choose another generated image" in html or "Choose a generated image" in html
    assert "data-nb-chooser" not in html  # Wagtail's chooser replaced the plain-Django one
    widget = chooser_viewset.widget_class()
    assert str(asset.pk) in widget.render("hero", asset, attrs={"id": "id_hero"})
    # the chosen image's own thumbnail, not Wagtail's grey icon placeholder
    from django_nanobanana.chooser.core import thumbnail_url

    thumb = thumbnail_url(asset)
    assert (
        thumb and f'data-nb-wagtail-thumb alt="" decoding="async" width="80" src="{thumb}"' in html
    )
    assert "nanobanana/wagtail/chooser.js" in html and "new NanobananaChooser(" in html


def test_copy_into_the_image_library(make_asset, editor):
    asset = make_asset(title="Lighthouse")
    version = asset.current_version
    image = copy_to_image_library(asset, user=editor)
    assert isinstance(image, get_image_model())
    assert (image.width, image.height) == (version.width, version.height)
    with image.file.open("rb") as handle:
        data = handle.read()
    with version.original.open("rb") as handle:
        assert data == handle.read()
    with PILImage.open(image.file.path) as decoded:
        assert decoded.size == (version.width, version.height)
    assert image.title == "Lighthouse" and image.uploaded_by_user == editor
    assert copy_to_image_library(asset) == image  # same bytes: no duplicate
    assert get_image_model().objects.count() == 1
    rendition = image.get_rendition("width-100")  # {% image %} works on it
    assert rendition.width == 100


def test_copy_with_overlay_uses_the_widest_overlay_rendition(make_asset):
    asset = make_asset()
    rerender_overlay(asset, {"text": "Sale"}, enqueue=False)
    render_current(asset.pk)
    asset.refresh_from_db()
    image = copy_to_image_library(asset)
    widest = (
        asset.current_version.renditions.filter(
            overlay_hash=asset.rendered_overlay_hash, format="jpeg"
        )
        .order_by("-width")
        .first()
    )
    assert (image.width, image.height) == (widest.width, widest.height)
    assert image.file.name.endswith(".jpg")
    original = copy_to_image_library(asset, with_overlay=False)
    assert original.pk != image.pk and original.width == asset.current_version.width


def test_admin_section_browse_generate_copy_delete(
    client, editor, make_asset, django_capture_on_commit_callbacks
):
    asset = make_asset(title="Lake")
    client.force_login(editor)
    index = client.get(reverse("nanobanana_assets:index"))
    assert index.status_code == 200 and b"Lake" in index.content
    assert client.get(reverse("nanobanana_assets:index"), {"q": "nothing"}).content.count(
        b"Lake"
    ) < index.content.count(b"Lake")
    edit = client.get(reverse("nanobanana_assets:edit", args=[asset.pk]))
    assert b"<picture" in edit.content
    copy_url = reverse("nanobanana_assets:copy_to_library", args=[asset.pk])
    assert copy_url.encode() in edit.content
    assert client.get(copy_url).status_code == 200
    response = client.post(copy_url)
    image = get_image_model().objects.get()
    assert response["Location"] == reverse("wagtailimages:edit", args=[image.pk])
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            reverse("nanobanana_assets:add"),
            {"prompt": "A quiet harbour", "title": "Harbour", "model": "gemini-2.5-flash-image"},
        )
    assert response.status_code == 302
    assert AssetVersion.objects.filter(asset__title="Harbour", state=State.QUEUED).exists()
    response = client.post(reverse("nanobanana_assets:delete", args=[asset.pk]))
    assert response.status_code == 302 and not GeneratedAsset.objects.filter(pk=asset.pk).exists()


def test_hole1_wagtail_editor_cannot_reach_or_delete_alices_image(client, media_root):
    """Issue 13, hole 1: an editor who cannot see Alice's image got 200 on its history
    and usage pages (showing its title) and deleted it with a POST."""
    alice = get_user_model().objects.create_user("alice")
    asset = finished_asset(alice, title="Alice secret launch")
    editor = get_user_model().objects.create_user("editor2", password="pw")
    editor.user_permissions.set(
        Permission.objects.filter(
            codename__in=[
                "access_admin",
                "add_generatedasset",
                "change_generatedasset",
                "delete_generatedasset",
            ]
        )
    )
    client.force_login(editor)
    for name in ("history", "usage", "delete", "edit"):
        response = client.get(reverse(f"nanobanana_assets:{name}", args=[asset.pk]))
        assert response.status_code in (302, 403, 404), name
        assert b"Alice secret launch" not in response.content
    response = client.post(reverse("nanobanana_assets:delete", args=[asset.pk]))
    assert response.status_code in (302, 403, 404)
    assert GeneratedAsset.objects.filter(pk=asset.pk).exists()


def test_reference_index_keeps_pages_pointing_to_assets_not_the_assets_own_keys(
    client, editor, make_asset
):
    """An asset's save indexes nothing (its owner and current version are no usage anyone
    sees); the pages that use it are indexed, and its deletion removes those rows."""
    from wagtail.models import ReferenceIndex

    client.force_login(editor)
    assert client.get(reverse("wagtailadmin_home")).status_code == 200  # viewsets registered
    asset = make_asset()
    asset.title = "Renamed"
    asset.save()
    assert not ReferenceIndex.get_references_for_object(asset).exists()
    _page(asset)
    used = list(ReferenceIndex.get_references_to(asset).values_list("pk", flat=True))
    assert used  # the page's hero and its StreamField block
    asset.delete()
    assert not ReferenceIndex.objects.filter(pk__in=used).exists()
