"""The changelist costs the same number of queries for 10 and for 200 images."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from django_nanobanana.admin.assets import GeneratedAssetAdmin
from tests.helpers import add_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def all_rows_on_one_page(monkeypatch):
    monkeypatch.setattr(GeneratedAssetAdmin, "list_per_page", 500)


def changelist_queries(client, params=None) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("admin:nanobanana_generatedasset_changelist"), params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def populate(make_asset, make_user, n: int) -> None:
    from django.contrib.auth import get_user_model

    owners = [
        get_user_model().objects.filter(username=f"owner{i}").first()
        or make_user(username=f"owner{i}")
        for i in range(3)
    ]
    for i in range(n):
        asset = make_asset(f"Image {i}", owner=owners[i % 3], renditions=True)
        if i % 4 == 0:
            add_version(asset, state="queued", user=owners[0])


def test_changelist_query_count_is_constant(make_asset, make_user, login, all_rows_on_one_page):
    client = login(make_user(superuser=True, username="boss"))
    populate(make_asset, make_user, 10)
    small, html = changelist_queries(client)
    assert html.count('class="nb-thumb"') == 10
    populate(make_asset, make_user, 190)
    large, html = changelist_queries(client)
    assert html.count('class="nb-thumb"') == 200
    assert large == small, (small, large)
    assert small <= 12
    # with a filter and a search, still constant
    filtered_small, _ = changelist_queries(client, {"state": "succeeded", "q": "Image"})
    assert filtered_small <= small + 1


def test_changelist_query_count_for_an_editor(make_asset, make_user, login, all_rows_on_one_page):
    editor = make_user("view", "change", "generate")
    client = login(editor)
    populate(make_asset, make_user, 10)
    small, _ = changelist_queries(client)
    populate(make_asset, make_user, 190)
    large, _ = changelist_queries(client)
    assert large == small
