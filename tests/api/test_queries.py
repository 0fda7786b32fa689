"""The list endpoint costs the same number of queries for 10 assets as for 200."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_nanobanana.models import AssetVersion, GeneratedAsset, Rendition
from tests.helpers import API

pytestmark = pytest.mark.django_db


def make_assets(owner, count: int) -> None:
    """``count`` finished assets, each with an older failed version and 4 renditions."""
    now = timezone.now()
    assets, versions, renditions = [], [], []
    for n in range(count):
        asset = GeneratedAsset(
            id=uuid.uuid4(), title=f"asset {n}", owner=owner, alt_text="alt", overlay={"text": "Hi"}
        )
        old = AssetVersion(
            id=uuid.uuid4(),
            asset=asset,
            source="api",
            prompt="p",
            provider="gemini",
            model="gemini-2.5-flash-image",
            state="failed",
            error="no image",
            cost=Decimal("0.01"),
            created_by=owner,
        )
        current = AssetVersion(
            id=uuid.uuid4(),
            asset=asset,
            source="api",
            prompt="p",
            provider="gemini",
            model="gemini-nano-banana-2.1",
            state="succeeded",
            original=f"nb/{n}/original.png",
            width=1024,
            height=768,
            mime_type="image/png",
            cost=Decimal("0.067"),
            dominant_color="#336699",
            finished_at=now,
            created_by=owner,
        )
        asset.current_version = current
        assets.append(asset)
        versions += [old, current]
        for fmt in ("webp", "jpeg"):
            for width in (320, 640):
                renditions.append(
                    Rendition(
                        version=current,
                        width=width,
                        height=width * 3 // 4,
                        format=fmt,
                        file=f"nb/{n}/{width}.{fmt}",
                        bytes=1000,
                    )
                )
    GeneratedAsset.objects.bulk_create(
        [
            GeneratedAsset(
                id=a.id, title=a.title, owner=owner, alt_text=a.alt_text, overlay=a.overlay
            )
            for a in assets
        ]
    )
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


def test_list_asks_the_storage_for_no_url(api, alice, media_root, monkeypatch):
    """URLs are the storage's base plus the deterministic name: found once per storage,
    not asked per rendition (15 per asset with the default set)."""
    from django.core.files.storage import FileSystemStorage

    make_assets(alice, 10)
    calls = []
    real = FileSystemStorage.url
    monkeypatch.setattr(
        FileSystemStorage, "url", lambda self, name: calls.append(name) or real(self, name)
    )
    _count, body = list_queries(api, 10)
    assert len(calls) <= 1  # at most the one probe of a new storage
    item = body["results"][0]
    assert item["src"].startswith("http://testserver/media/nb/")
    assert {r["url"] for r in item["renditions"]} <= {
        u.split(" ")[0] for srcset in item["srcset"].values() for u in srcset.split(", ")
    }
    _count, again = list_queries(api, 10)
    assert len(calls) <= 1 and again == body


def test_signed_urls_are_still_asked_per_file(alice, media_root, settings):
    from django_nanobanana.storage import configured_storage, url_base

    class Signed:
        def url(self, name):
            return f"https://bucket.example/{name}?X-Amz-Signature=abc"

    assert url_base(Signed()) is None
    assert url_base(configured_storage._target()) == "/media/"
    assert configured_storage.url("nb/a b.png") == "/media/nb/a%20b.png"


def test_compact_list_with_fields(api, alice):
    make_assets(alice, 3)
    response = api.get(f"{API}/assets/?fields=id,title,srcset,src,placeholder")
    assert response.status_code == 200
    items = response.json()["results"]
    assert [sorted(item) for item in items] == [["id", "placeholder", "src", "srcset", "title"]] * 3
    full = api.get(f"{API}/assets/").content
    assert len(response.content) < len(full) / 2
    bad = api.get(f"{API}/assets/?fields=id,secret")
    assert bad.status_code == 400 and "secret" in bad.content.decode()


def test_create_answers_from_what_it_wrote(generation, api):
    """The 202 body is built from the rows the request has just written, not read back:
    the same asset as a GET right after it, with no SELECT of the asset."""
    body = {
        "prompt": "A harbour at dawn",
        "title": "Harbour",
        "alt_text": "Boats",
        "image_size": "1K",
        "overlay": {"text": "Sale", "anchor": "bottom-left"},
    }
    with CaptureQueriesContext(connection) as queries:
        response = api.post(f"{API}/assets/", body, format="json")
    sql = [q["sql"] for q in queries.captured_queries]  # before the next request resets it
    assert response.status_code == 202, response.content
    assert not any(
        q.startswith("SELECT") and 'FROM "nanobanana_generatedasset"' in q for q in sql
    ), sql
    created = response.json()
    assert created["asset"] == api.get(created["asset"]["url"]).json()
    assert created["version"] == api.get(created["version"]["url"]).json()
