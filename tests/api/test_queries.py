"""The list endpoint costs the same number of queries for 10 assets as for 200."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_nanobanana.models import AssetVersion, GeneratedAsset, Rendition

from .conftest import API

pytestmark = pytest.mark.django_db


def make_assets(owner, count: int) -> None:
    """``count`` finished assets, each with an older failed version and 4 renditions."""
    now = timezone.now()
    assets, versions, renditions = [], [], []
    for n in range(count):
        asset = GeneratedAsset(id=uuid.uuid4(), title=f"asset {n}", owner=owner,
                               alt_text="alt", overlay={"text": "Hi"})
        old = AssetVersion(id=uuid.uuid4(), asset=asset, source="api", prompt="p",
                           provider="gemini", model="gemini-2.5-flash-image", state="failed",
                           error="no image", cost=Decimal("0.01"), created_by=owner)
        current = AssetVersion(id=uuid.uuid4(), asset=asset, source="api", prompt="p",
                               provider="gemini", model="gemini-nano-banana-2.1",
                               state="succeeded", original=f"nb/{n}/original.png", width=1024,
                               height=768, mime_type="image/png", cost=Decimal("0.067"),
                               dominant_color="#336699", finished_at=now, created_by=owner)
        asset.current_version = current
        assets.append(asset)
        versions += [old, current]
        for fmt in ("webp", "jpeg"):
            for width in (320, 640):
                renditions.append(Rendition(version=current, width=width, height=width * 3 // 4,
                                            format=fmt, file=f"nb/{n}/{width}.{fmt}",
                                            bytes=1000))
    GeneratedAsset.objects.bulk_create([
        GeneratedAsset(id=a.id, title=a.title, owner=owner, alt_text=a.alt_text,
                       overlay=a.overlay) for a in assets])
    AssetVersion.objects.bulk_create(versions)
    for asset in assets:
        GeneratedAsset.objects.filter(pk=asset.pk).update(current_version=asset.current_version)
    Rendition.objects.bulk_create(renditions)


def list_queries(api, page_size: int) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"{API}/assets/?page_size={page_size}")
    assert response.status_code == 200
    return len(queries), response.json()


def test_list_query_count_is_constant(api, alice):
    make_assets(alice, 10)
    small, data = list_queries(api, 100)
    assert data["count"] == 10 and len(data["results"][0]["renditions"]) == 4
    make_assets(alice, 190)
    large, data = list_queries(api, 100)
    assert data["count"] == 200 and len(data["results"]) == 100
    assert all(len(a["renditions"]) == 4 and a["srcset"]["webp"] for a in data["results"])
    assert Decimal(data["results"][0]["cost"]) == Decimal("0.077")
    assert large == small, (small, large)
    assert small <= 6  # auth, count, page, renditions
