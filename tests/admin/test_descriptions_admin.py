"""The admin's alt-text review: describe, see the suggestion, accept it edited, reject,
set the focal point; a refusal for budget is said and leaves the image."""

from __future__ import annotations

import pytest
from django.urls import reverse

from django_nanobanana.models import Budget, GeneratedAsset, ImageDescription
from django_nanobanana.services.description_worker import execute_description

pytestmark = pytest.mark.django_db


def url(name: str, asset: GeneratedAsset) -> str:
    return reverse(f"admin:nanobanana_generatedasset_{name}", args=[asset.pk])


def test_describe_then_accept_an_edited_suggestion_with_a_clicked_focal_point(
    nanobanana_fake, make_asset, make_user, login
):
    editor = make_user("view", "change", "generate")
    client = login(editor)
    asset = make_asset("Harbour", owner=editor)
    response = client.post(url("describe", asset), follow=True)
    assert response.status_code == 200
    row = ImageDescription.objects.get()
    execute_description(row.pk)
    page = client.get(url("change", asset)).content.decode()
    assert 'id="nb-accept-description"' in page
    assert "A picture of Harbour" in page  # the suggestion, prefilled for review
    response = client.post(
        url("accept_description", asset),
        {
            "description": str(row.pk),
            "alt_text_en-us": "Boats in a harbour",
            "focal_point_x": "0.8",
            "focal_point_y": "0.3",
        },
        follow=True,
    )
    assert response.status_code == 200
    asset.refresh_from_db()
    assert asset.alt_text == "Boats in a harbour"
    assert (asset.focal_point_x, asset.focal_point_y) == (0.8, 0.3)
    row.refresh_from_db()
    assert row.review == "accepted" and row.reviewed_by == editor


def test_reject_and_focal_point_alone(nanobanana_fake, make_asset, make_user, login):
    editor = make_user("view", "change", "generate")
    client = login(editor)
    asset = make_asset("Harbour", owner=editor)
    client.post(url("describe", asset))
    row = execute_description(ImageDescription.objects.get().pk)
    client.post(url("accept_description", asset), {"description": str(row.pk), "reject": "1"})
    row.refresh_from_db()
    assert row.review == "rejected"
    client.post(url("focal_point", asset), {"focal_point_x": "0.1", "focal_point_y": "0.9"})
    asset.refresh_from_db()
    assert (asset.focal_point_x, asset.focal_point_y) == (0.1, 0.9)
    response = client.post(
        url("focal_point", asset), {"focal_point_x": "2", "focal_point_y": "0.9"}, follow=True
    )
    assert "between 0 and 1" in response.content.decode()


def test_a_refusal_for_budget_is_shown_and_the_image_stays(
    nanobanana_fake, make_asset, make_user, login
):
    editor = make_user("view", "change", "generate")
    client = login(editor)
    asset = make_asset("Harbour", owner=editor)
    Budget.objects.create(name="none", scope="user", user=editor, period="day", amount_limit="0")
    page = client.post(url("describe", asset), follow=True).content.decode()
    assert "The description was refused" in page and "The image is unchanged" in page
    assert 'id="nb-description-error"' in page
    asset.refresh_from_db()
    assert asset.current_version.original


def test_viewers_cannot_describe(nanobanana_fake, make_asset, make_user, login):
    viewer = make_user("view")
    asset = make_asset("Harbour")
    assert login(viewer).post(url("describe", asset)).status_code == 403
    assert not ImageDescription.objects.exists()


def test_the_changelist_action_describes_each_image_it_may(
    nanobanana_fake, make_asset, make_user, login
):
    editor = make_user("view", "change", "generate")
    client = login(editor)
    harbour, dunes = make_asset("Harbour", owner=editor), make_asset("Dunes", owner=editor)
    changelist = reverse("admin:nanobanana_generatedasset_changelist")
    selected = {"action": "describe_action", "_selected_action": [harbour.pk, dunes.pk]}
    page = client.post(changelist, selected, follow=True).content.decode()
    assert "2 images are being described." in page
    assert ImageDescription.objects.count() == 2

    Budget.objects.create(name="none", scope="user", user=editor, period="day", amount_limit="0")
    page = client.post(changelist, selected, follow=True).content.decode()
    assert "Harbour: Over the" in page and "Dunes: Over the" in page
    assert "being described" not in page

    viewer = make_user("view", "change")
    make_asset("Cliffs", owner=viewer)
    cliffs = GeneratedAsset.objects.get(title="Cliffs")
    client = login(viewer)
    selected = {"action": "describe_action", "_selected_action": [cliffs.pk]}
    page = client.post(changelist, selected, follow=True).content.decode()
    assert "Cliffs: not allowed." in page and "being described" not in page


def test_status_json_carries_the_alt_text_panel_only_when_it_changed(
    nanobanana_fake, make_asset, make_user, login
):
    """The change page polls while a suggestion is made; the panel comes back (for the
    page to swap in) only when its description or state differs from what the page shows."""
    editor = make_user("view", "change", "generate")
    client = login(editor)
    asset = make_asset("Harbour", owner=editor)
    client.post(url("describe", asset))
    row = ImageDescription.objects.get()
    queued = client.get(url("status", asset), {"description": ""}).json()
    assert queued["busy"] is True and queued["description"] == f"{row.pk}:queued"
    assert "Describing the image" in queued["html"]["description"]
    same = client.get(url("status", asset), {"description": queued["description"]}).json()
    assert "description" not in same["html"]  # unchanged: the editor's page is left alone

    execute_description(row.pk)
    done = client.get(url("status", asset), {"description": queued["description"]}).json()
    assert done["busy"] is False and done["description"] == f"{row.pk}:succeeded"
    assert 'id="id_alt_text_en-us"' in done["html"]["description"]
    assert "description" not in client.get(url("status", asset)).json()  # pages without it
