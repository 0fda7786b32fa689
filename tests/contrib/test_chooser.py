"""The plain-Django field, widget and chooser popup."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import models
from django.template import Context, Template
from django.urls import reverse

from django_nanobanana.fields import GeneratedAssetField
from django_nanobanana.models import AssetVersion, GeneratedAsset, State
from django_nanobanana.services import execute_version
from django_nanobanana.widgets import GeneratedAssetChooserWidget
from tests.contrib.testapp.models import Article

pytestmark = pytest.mark.django_db


def test_field_defaults_and_deconstruction():
    optional = Article._meta.get_field("hero")
    assert optional.null and optional.blank
    assert optional.remote_field.on_delete is models.SET_NULL
    assert optional.related_model is GeneratedAsset
    required = GeneratedAssetField(null=False)
    assert required.remote_field.on_delete is models.PROTECT and not required.blank
    _name, path, _args, kwargs = optional.deconstruct()
    assert path == "django_nanobanana.fields.GeneratedAssetField"
    assert kwargs["on_delete"] is models.SET_NULL and kwargs["to"] == "nanobanana.generatedasset"
    assert isinstance(optional.formfield().widget, GeneratedAssetChooserWidget)


def test_deleting_the_asset_keeps_the_page(make_asset):
    asset = make_asset()
    article = Article.objects.create(title="Post", hero=asset)
    asset.delete()
    article.refresh_from_db()
    assert article.hero is None


def test_admin_form_renders_the_chooser_with_the_current_image(client, editor, make_asset):
    asset = make_asset(title="Lighthouse")
    article = Article.objects.create(title="Post", hero=asset)
    client.force_login(editor)
    html = client.get(
        reverse("admin:nanobanana_testapp_article_change", args=[article.pk])
    ).content.decode()
    assert "data-nb-chooser" in html
    assert f'value="{asset.pk}"' in html
    assert reverse("nanobanana_chooser:choose") in html
    assert reverse("nanobanana_chooser:generate") in html
    assert "nanobanana/chooser/chooser.js" in html
    assert asset.current_version.renditions.filter(format="webp", width=320).get().file.url in html


def test_chooser_lists_and_searches_with_thumbnails(client, editor, make_asset):
    lake = make_asset("A mountain lake", title="Lake")
    make_asset("A desert road", title="Road")
    client.force_login(editor)
    url = reverse("nanobanana_chooser:choose")
    data = client.get(url, {"format": "json"}).json()
    assert {r["title"] for r in data["results"]} == {"Lake", "Road"}
    data = client.get(url, {"format": "json", "q": "mountain"}).json()
    [result] = data["results"]
    assert result["id"] == str(lake.pk) and result["ready"]
    assert result["thumbnail"].endswith(".webp") and "/media/" in result["thumbnail"]
    html = client.get(url, {"q": "lake", "_popup": "1", "target": "id_hero"}).content.decode()
    assert f'data-nb-choice="{lake.pk}"' in html and "Road" not in html
    assert '"id_hero"' in html  # the target, handed to popup.js


def test_chooser_shows_others_assets_only_with_the_view_permission(client, make_asset):
    make_asset(title="Someone else's")
    clerk = get_user_model().objects.create_user("clerk", password="pw", is_staff=True)
    client.force_login(clerk)
    assert (
        client.get(reverse("nanobanana_chooser:choose"), {"format": "json"}).json()["results"] == []
    )
    assert client.get(reverse("nanobanana_chooser:generate")).status_code == 403


def test_chooser_needs_staff(client):
    response = client.get(reverse("nanobanana_chooser:choose"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_generate_new_queues_then_returns_the_asset_when_done(
    client,
    editor,
    nanobanana_fake,
    media_root,
    small_renditions,
    django_capture_on_commit_callbacks,
):
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            reverse("nanobanana_chooser:generate") + "?_popup=1&target=id_hero",
            {
                "prompt": "A red kite over dunes",
                "title": "Kite",
                "alt_text": "A kite",
                "model": "gemini-2.5-flash-image",
                "aspect_ratio": "16:9",
            },
        )
    assert response.status_code == 302
    version = AssetVersion.objects.get()
    assert version.state == State.QUEUED and version.source == "admin"
    assert version.created_by == editor and version.asset.title == "Kite"
    status_url = response["Location"]
    assert status_url.startswith(reverse("nanobanana_chooser:status", args=[version.pk]))
    assert "target=id_hero" in status_url
    pending = client.get(status_url)
    assert b"data-nb-status" in pending.content and b"data-auto-choose" not in pending.content
    execute_version(version.pk)  # like a worker
    data = client.get(status_url + "&format=json").json()
    assert data["succeeded"] and data["final"] and data["asset"]["id"] == str(version.asset_id)
    done = client.get(status_url).content.decode()
    assert "data-auto-choose" in done and f'data-nb-choice="{version.asset_id}"' in done
    assert "<picture" in done


def test_generate_new_shows_validation_errors(client, editor):
    client.force_login(editor)
    response = client.post(
        reverse("nanobanana_chooser:generate"), {"prompt": "", "model": "gemini-2.5-flash-image"}
    )
    assert response.status_code == 200 and AssetVersion.objects.count() == 0
    assert response.context["form"].errors["prompt"]


def test_documented_template_example_renders(make_asset):
    asset = make_asset(title="Lake", alt_text="A calm lake")
    article = Article.objects.create(title="Post", hero=asset)
    html = Template(
        '{% load nanobanana %}{% nanobanana_picture article.hero sizes="(min-width: 60rem) '
        '50vw, 100vw" class="hero" %}<img srcset="{% nanobanana_srcset article.hero "webp" %}">'
    ).render(Context({"article": article}))
    webp = asset.current_version.renditions.filter(format="webp").order_by("width")
    srcset = ", ".join(f"{r.file.url} {r.width}w" for r in webp)
    assert "<picture" in html and f'srcset="{srcset}"' in html and 'alt="A calm lake"' in html


def test_admin_add_page_shows_the_image_row(client, editor):
    """The widget is visible: Django hides a widget whose ``input_type`` is "hidden", and
    with it the admin's whole form row (label, chooser buttons and errors)."""
    import re

    client.force_login(editor)
    html = client.get(reverse("admin:nanobanana_testapp_article_add")).content.decode()
    row = re.search(r'<div class="([^"]*field-hero[^"]*)"', html)
    assert row is not None, "no form row for the hero field"
    assert "hidden" not in row.group(1).split()
    assert not GeneratedAssetChooserWidget().is_hidden
    assert 'for="id_hero"' in html or "<label" in html.split("field-hero", 1)[1][:500]
    assert 'data-nb-action="choose"' in html and 'data-nb-action="generate"' in html
