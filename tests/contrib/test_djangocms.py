"""django CMS: the "Generated image" plugin renders a <picture> and edits the overlay."""

from __future__ import annotations

import pytest
from cms.api import add_plugin, create_page
from cms.models import PageContent
from cms.utils.placeholder import rescan_placeholders_for_obj
from django.urls import reverse

from django_nanobanana.contrib.djangocms.cms_plugins import GeneratedAssetPlugin
from django_nanobanana.contrib.djangocms.models import GeneratedAssetPluginModel
from django_nanobanana.models import GeneratedAsset
from tests.helpers import suggested_description

pytestmark = pytest.mark.django_db


def _srcset(asset, fmt):
    asset.refresh_from_db()
    rows = asset.current_version.renditions.filter(
        format=fmt, overlay_hash=asset.rendered_overlay_hash
    ).order_by("width")
    return ", ".join(f"{r.file.url} {r.width}w" for r in rows)


def _add_plugin_url(placeholder):
    """django CMS's "add a Generated image plugin" form for ``placeholder``."""
    return reverse("admin:cms_placeholder_add_plugin") + (
        f"?placeholder_id={placeholder.pk}&plugin_type=GeneratedAssetPlugin"
        "&plugin_language=en&plugin_position=1"
    )


@pytest.fixture
def cms_page(editor):
    page = create_page("Home", "cms_page.html", "en", created_by=editor)
    content = PageContent.admin_manager.get(page=page, language="en")
    placeholder = rescan_placeholders_for_obj(content)["content"]
    return page, placeholder


def test_plugin_renders_picture_with_srcset(client, cms_page, make_asset):
    asset = make_asset(alt_text="A lighthouse")
    page, placeholder = cms_page
    add_plugin(
        placeholder,
        GeneratedAssetPlugin,
        "en",
        asset=asset,
        sizes="50vw",
        caption="At dusk",
        css_class="hero",
    )
    html = client.get(page.get_absolute_url("en")).content.decode()
    assert '<figure class="nanobanana-figure hero">' in html
    assert "<figcaption>At dusk</figcaption>" in html
    assert f'srcset="{_srcset(asset, "webp")}"' in html
    assert f'srcset="{_srcset(asset, "jpeg")}"' in html
    assert 'sizes="50vw"' in html and 'alt="A lighthouse"' in html


def test_plugin_alt_text_follows_the_pages_rule(client, cms_page, make_asset, settings):
    """Without its own alt text the plugin shows what every page shows for the image: the
    suggested alt text only where the site allows unreviewed suggestions."""
    asset = make_asset(alt_text="")
    suggested_description(asset.current_version, {"en": "Suggested lighthouse"})
    page, placeholder = cms_page
    add_plugin(placeholder, GeneratedAssetPlugin, "en", asset=asset)
    assert 'alt=""' in client.get(page.get_absolute_url("en")).content.decode()
    settings.NANOBANANA = {**settings.NANOBANANA, "DESCRIPTIONS": {"USE_UNREVIEWED": True}}
    html = client.get(page.get_absolute_url("en")).content.decode()
    assert 'alt="Suggested lighthouse"' in html


def test_plugin_without_an_image_renders_nothing(client, cms_page, make_asset):
    asset = make_asset()
    page, placeholder = cms_page
    add_plugin(placeholder, GeneratedAssetPlugin, "en", asset=asset, alt_text="Own alt")
    assert 'alt="Own alt"' in client.get(page.get_absolute_url("en")).content.decode()
    asset.delete()  # SET_NULL: the plugin stays, empty
    plugin = GeneratedAssetPluginModel.objects.get()
    assert plugin.asset is None
    assert "<picture" not in client.get(page.get_absolute_url("en")).content.decode()


def test_plugin_form_chooses_and_sets_the_overlay(client, editor, cms_page, make_asset):
    asset = make_asset(title="Lake")
    _page, placeholder = cms_page
    client.force_login(editor)
    url = _add_plugin_url(placeholder)
    form = client.get(url).content.decode()
    assert "data-nb-chooser" in form and reverse("nanobanana_chooser:generate") in form
    assert 'name="overlay_text"' in form
    response = client.post(
        url,
        {
            "asset": str(asset.pk),
            "sizes": "100vw",
            "loading": "eager",
            "overlay_text": "Summer sale",
            "overlay_anchor": "center",
            "overlay_style": "custom",
            "overlay_color": "#ffcc00",
        },
    )
    assert response.status_code == 200, response.content[:2000]
    plugin = GeneratedAssetPluginModel.objects.get()
    assert plugin.asset == asset and plugin.loading == "eager"
    asset = GeneratedAsset.objects.get(pk=asset.pk)
    assert asset.overlay["text"] == "Summer sale" and asset.overlay["anchor"] == "center"
    assert asset.overlay["color"] == "#FFCC00"
    bad = client.post(
        url,
        {
            "asset": str(asset.pk),
            "sizes": "100vw",
            "loading": "lazy",
            "overlay_text": "x",
            "overlay_anchor": "nowhere",
        },
    )
    assert b"overlay_anchor" in bad.content and GeneratedAssetPluginModel.objects.count() == 1


def test_plugin_overlay_is_automatic_unless_the_editor_picks_colours(
    client, editor, cms_page, make_asset
):
    """The colour input always sends a colour; the overlay takes it only in the custom
    style, and the form shows a saved overlay's style back."""
    from django_nanobanana.contrib.djangocms.forms import GeneratedAssetPluginForm

    asset = make_asset(title="Lake")
    _page, placeholder = cms_page
    client.force_login(editor)
    url = _add_plugin_url(placeholder)
    form = client.get(url).content.decode()
    assert 'name="overlay_style"' in form and '<option value="auto" selected>' in form
    data = {"asset": str(asset.pk), "sizes": "100vw", "loading": "lazy"}
    overlay = {"overlay_text": "Summer sale", "overlay_anchor": "center"}
    response = client.post(url, {**data, **overlay, "overlay_color": "#ffcc00"})
    assert response.status_code == 200, response.content[:2000]
    asset = GeneratedAsset.objects.get(pk=asset.pk)
    assert asset.overlay["style"] == "auto", asset.overlay
    assert asset.overlay.get("color") != "#FFCC00", asset.overlay

    asset.overlay = {"text": "Old", "color": "#FFCC00"}  # colours without a style: custom
    asset.save(update_fields=["overlay"])
    plugin = GeneratedAssetPluginModel.objects.get()
    assert GeneratedAssetPluginForm(instance=plugin).initial["overlay_style"] == "custom"


def test_plugin_form_shows_the_image_row_and_its_error(client, editor, cms_page):
    """The image field's row is visible, so "Please correct the error below" points at a
    field the editor can see."""
    import re

    _page, placeholder = cms_page
    client.force_login(editor)
    url = _add_plugin_url(placeholder)
    form = client.get(url).content.decode()
    row = re.search(r'<div class="([^"]*field-asset[^"]*)"', form)
    assert row is not None and "hidden" not in row.group(1).split()
    bad = client.post(url, {"sizes": "100vw", "loading": "lazy"}).content.decode()
    row = re.search(r'<div class="([^"]*field-asset[^"]*)"', bad)
    assert row is not None and "hidden" not in row.group(1).split()
    assert "errors" in row.group(1).split()
    assert not GeneratedAssetPluginModel.objects.exists()
