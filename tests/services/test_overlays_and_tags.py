import io
import json
import os

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext

from django_nanobanana.exceptions import RequestValidationError
from django_nanobanana.models import GeneratedAsset
from django_nanobanana.pictures import prefetch_pictures
from django_nanobanana.services import (
    GenerationParams,
    execute_version,
    generate,
    rerender_overlay,
)
from django_nanobanana.services.assets import render_current

pytestmark = pytest.mark.django_db


def make_asset(prompt="A mountain lake", **kw):
    version = generate(
        GenerationParams(prompt=prompt, aspect_ratio="3:2", image_size="1K"), enqueue=False, **kw
    )
    execute_version(version.pk)
    return GeneratedAsset.objects.get(pk=version.asset_id)


def test_cli_overlay_and_json_renditions(nanobanana_fake, media_root, small_renditions):
    out = io.StringIO()
    call_command(
        "nanobanana_generate",
        "--prompt",
        "A beach",
        "--aspect-ratio",
        "16:9",
        "--size",
        "1K",
        "--overlay",
        "Summer Sale",
        "--overlay-position",
        "center",
        "--json",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    assert {(r["format"], r["width"]) for r in data["renditions"]} == {
        ("webp", 320),
        ("webp", 640),
        ("jpeg", 320),
        ("jpeg", 640),
    }
    assert all(os.path.isfile(r["file"]) for r in data["renditions"])
    asset = GeneratedAsset.objects.get(pk=data["asset"])
    assert asset.overlay["text"] == "Summer Sale" and asset.rendered_overlay_hash


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--overlay", "x", "--overlay-font", "comic-sans"], "unknown font"),
        (["--overlay", "bad\x07text"], "overlay.text"),
        (["--overlay", "x", "--overlay-size", "-1"], "overlay.size"),
    ],
)
def test_cli_bad_overlay_input_is_refused_before_anything(
    nanobanana_fake, media_root, args, message
):
    with pytest.raises(CommandError, match=message):
        call_command("nanobanana_generate", "--prompt", "A beach", *args, stdout=io.StringIO())
    assert GeneratedAsset.objects.count() == 0
    assert nanobanana_fake.generate_requests() == []


def test_changing_the_overlay_rerenders_without_a_generation(
    nanobanana_fake, media_root, small_renditions
):
    asset = make_asset()
    before = set(asset.current_version.renditions.values_list("file", flat=True))
    cost = asset.current_version.cost
    calls = len(nanobanana_fake.generate_requests())
    rerender_overlay(asset, {"text": "Opening soon", "anchor": "top-center", "background": "band"})
    asset.refresh_from_db()
    assert asset.rendered_overlay_hash == ""  # pages keep the old set until the new is done
    render_current(asset.pk)
    asset.refresh_from_db()
    version = asset.current_version
    after = set(version.renditions.values_list("file", flat=True))
    assert asset.rendered_overlay_hash and after and not (after & before)
    assert all(f"/{asset.rendered_overlay_hash}/" in name for name in after)
    assert len(nanobanana_fake.generate_requests()) == calls
    assert version.cost == cost


def test_overlay_that_cannot_fit_is_a_validation_error(
    nanobanana_fake, media_root, small_renditions
):
    asset = make_asset()
    with pytest.raises(RequestValidationError) as info:
        rerender_overlay(
            asset, {"text": "word " * 99, "size": 0.5, "min_size": 0.4, "max_width": 0.2}
        )
    assert any(k.startswith("overlay.") for k in info.value.field_errors)
    asset.refresh_from_db()
    assert asset.overlay is None


def test_picture_tag_renders_sources_and_fallback(nanobanana_fake, media_root, small_renditions):
    asset = make_asset()
    asset.alt_text = "A calm lake"
    asset.save()
    html = Template(
        '{% load nanobanana %}{% nanobanana_picture asset sizes="50vw" class="hero" %}'
    ).render(Context({"asset": asset}))
    assert html.startswith("<picture>") and html.endswith("</picture>")
    assert '<source type="image/webp"' in html
    assert "320w" in html and "640w" in html
    assert 'alt="A calm lake"' in html and 'class="hero"' in html
    assert 'width="1264" height="848"' in html
    assert 'loading="lazy"' in html and "background-color:#" in html
    srcset = Template('{% load nanobanana %}{% nanobanana_srcset asset "jpeg" %}').render(
        Context({"asset": asset})
    )
    assert srcset.count("w") >= 2 and ".jpg 320w" in srcset


def test_picture_tag_query_count_is_fixed_for_50_assets(
    nanobanana_fake, media_root, small_renditions
):
    for i in range(50):
        make_asset(prompt=f"Lake number {i}")
    template = Template(
        "{% load nanobanana %}{% for a in assets %}{% nanobanana_picture a %}{% endfor %}"
    )
    with CaptureQueriesContext(connection) as queries:
        html = template.render(Context({"assets": prefetch_pictures(GeneratedAsset.objects.all())}))
    assert html.count("<picture>") == 50
    assert len(queries) == 2, [q["sql"] for q in queries]


def test_picture_tag_is_empty_without_an_image(db):
    asset = GeneratedAsset.objects.create(title="empty")
    html = Template("{% load nanobanana %}{% nanobanana_picture asset %}").render(
        Context({"asset": asset})
    )
    assert html == ""
