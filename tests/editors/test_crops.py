"""Art-directed crops: around the focal point, overlay inside, served below a breakpoint,
re-rendered at no provider cost when the focal point moves."""

from __future__ import annotations

import io

import pytest
from django.template import Context, Template
from PIL import Image, ImageChops, ImageStat

from django_nanobanana.imaging.crops import crop_box
from django_nanobanana.models import GeneratedAsset, Rendition
from django_nanobanana.services import GenerationParams, execute_version, generate, queue
from django_nanobanana.services.assets import render_current
from django_nanobanana.services.descriptions import set_focal_point

pytestmark = pytest.mark.django_db

MAGENTA = (255, 0, 255)
OVERLAY = {
    "text": "SALE",
    "anchor": "bottom-left",
    "background": "band",
    "background_color": "#ff00ff",
    "background_opacity": 1.0,
    "color": "#ffffff",
}


@pytest.fixture
def crops(settings):
    current = dict(settings.NANOBANANA)
    current.update(
        {
            "RENDITION_WIDTHS": (320, 640),
            "RENDITION_FORMATS": ("webp", "png"),
            "CROPS": {"RATIOS": ("1:1", "4:5"), "BREAKPOINTS": [("(max-width: 599px)", "1:1")]},
            "DESCRIPTIONS": {"AUTO": False},
        }
    )
    settings.NANOBANANA = current


def image_of(rendition: Rendition) -> Image.Image:
    with rendition.file.open("rb") as handle:
        return Image.open(io.BytesIO(handle.read())).convert("RGB")


def magenta_pixels(image: Image.Image) -> int:
    data = image.tobytes()
    return sum(
        1
        for i in range(0, len(data), 3)
        if data[i] > 230 and data[i + 1] < 40 and data[i + 2] > 230
    )


def test_crop_box_keeps_the_focal_point_and_the_edges():
    assert crop_box(1376, 768, "1:1", (0.95, 0.5)) == (608, 0, 1376, 768)
    assert crop_box(1376, 768, "1:1", (0.05, 0.5)) == (0, 0, 768, 768)
    assert crop_box(1376, 768, "1:1", (0.5, 0.5)) == (304, 0, 1072, 768)
    left, top, right, bottom = crop_box(768, 1376, "16:9", (0.5, 0.9))
    assert (right - left, bottom - top) == (768, 432) and top <= 0.9 * 1376 <= bottom


def test_a_16_9_image_with_a_focal_point_near_the_right_edge_gets_a_square_crop_around_it(
    nanobanana_fake, media_root, crops
):
    version = generate(
        GenerationParams(prompt="A pier", aspect_ratio="16:9"), overlay=OVERLAY, enqueue=False
    )
    asset = GeneratedAsset.objects.get(pk=version.asset_id)
    asset.focal_point_x, asset.focal_point_y = 0.95, 0.5
    asset.save()
    version = execute_version(version.pk)
    assert (version.width, version.height) == (1376, 768)
    square = version.renditions.filter(crop="1:1", format="png").order_by("width")
    assert [(r.width, r.height) for r in square] == [(320, 320), (640, 640)]
    left, top, right, bottom = (int(v) for v in square[0].crop_box.split(","))
    assert left <= 0.95 * 1376 <= right and top <= 0.5 * 768 <= bottom
    assert (right - left, bottom - top) == (768, 768)
    # The crop shows that region of the original (away from the overlay band) ...
    with version.original.open("rb") as handle:
        original = Image.open(io.BytesIO(handle.read())).convert("RGB")
    crop = image_of(square[1])
    expected = original.crop((left, top, right, bottom)).resize((640, 640))
    top_half = (0, 0, 640, 320)
    diff = ImageStat.Stat(ImageChops.difference(crop.crop(top_half), expected.crop(top_half))).mean
    assert max(diff) < 6
    # ... with the overlay laid out inside the crop (its band, in the lower part).
    assert magenta_pixels(crop.crop((0, 320, 640, 640))) > 500
    assert magenta_pixels(crop.crop(top_half)) == 0
    portrait = version.renditions.filter(crop="4:5", format="png").order_by("width").last()
    assert (portrait.width, portrait.height) == (614, 768)  # the crop's own size, no upscale
    assert magenta_pixels(image_of(portrait)) > 500
    # Full-size renditions are unchanged by crops.
    assert {(r.width, r.height) for r in version.renditions.filter(crop="")} == {
        (320, 179),
        (640, 357),
    }


def test_the_picture_serves_the_crop_below_the_breakpoint(nanobanana_fake, media_root, crops):
    version = execute_version(
        generate(GenerationParams(prompt="A pier", aspect_ratio="16:9"), enqueue=False).pk
    )
    asset = GeneratedAsset.objects.get(pk=version.asset_id)
    html = Template("{% load nanobanana %}{% nanobanana_picture asset %}").render(
        Context({"asset": asset})
    )
    square = version.renditions.get(crop="1:1", format="webp", width=640)
    full = version.renditions.get(crop="", format="webp", width=640)
    first_source = html.split("<source", 2)[1]
    assert 'media="(max-width: 599px)"' in first_source
    assert square.file.url in first_source and 'width="640" height="640"' in first_source
    assert html.index(square.file.url) < html.index(full.file.url)
    per_tag = Template(
        '{% load nanobanana %}{% nanobanana_picture asset crops="(max-width: 799px) 4:5" %}'
    ).render(Context({"asset": asset}))
    portrait = version.renditions.filter(crop="4:5", format="webp").order_by("width").last()
    assert 'media="(max-width: 799px)"' in per_tag and portrait.file.url in per_tag
    assert square.file.url not in per_tag
    none = Template('{% load nanobanana %}{% nanobanana_picture asset crops="" %}').render(
        Context({"asset": asset})
    )
    assert "media=" not in none


def test_moving_the_focal_point_re_renders_the_crops_without_a_provider_call(
    nanobanana_fake, media_root, crops, django_capture_on_commit_callbacks, monkeypatch
):
    version = execute_version(
        generate(GenerationParams(prompt="A pier", aspect_ratio="16:9"), enqueue=False).pk
    )
    asset = GeneratedAsset.objects.get(pk=version.asset_id)
    before = version.renditions.get(crop="1:1", format="png", width=640)
    assert before.crop_box == "304,0,1072,768"  # no focal point: the centre
    calls = len(nanobanana_fake.requests)
    queued = []
    monkeypatch.setattr(queue, "enqueue", lambda task, pk: queued.append((task, pk)))
    with django_capture_on_commit_callbacks(execute=True):
        set_focal_point(asset, (0.02, 0.5))
    assert queued == [(queue.RENDER_ASSET, asset.pk)]
    render_current(asset.pk)
    after = version.renditions.get(crop="1:1", format="png", width=640)
    assert after.crop_box == "0,0,768,768" and after.file.name != before.file.name
    assert not Rendition.objects.filter(pk=before.pk).exists()
    assert len(nanobanana_fake.requests) == calls  # no provider call
    # The API lists the crops with their srcsets.
    from django_nanobanana.api.serializers import AssetSerializer

    data = AssetSerializer(GeneratedAsset.objects.get(pk=asset.pk)).data
    square = next(c for c in data["crops"] if c["ratio"] == "1:1")
    assert square["width"] == square["height"] == 640
    assert after.file.url in {s["format"]: s["srcset"] for s in square["sources"]}["png"]
