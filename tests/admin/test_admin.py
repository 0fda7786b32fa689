"""The asset admin: list, change page, actions, bad input, admin log, dashboard, CSV."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.urls import reverse

from django_nanobanana.models import AssetVersion, Budget, GeneratedAsset, State
from tests.helpers import add_version, png

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    return reverse(f"admin:nanobanana_generatedasset_{name}", args=args)


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# -- list ---------------------------------------------------------------------------------------


def test_changelist_columns_filters_search(admin_client_, make_asset):
    make_asset("Red barn", renditions=True)
    make_asset("Blue lake", state=State.FAILED, error="quota", error_code="RESOURCE_EXHAUSTED")
    response = admin_client_.get(url("changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Red barn",
        "Blue lake",
        "Succeeded",
        "Failed",
        "0.0390",
        "96×64 (1K)",
        'class="nb-thumb"',
        "gemini-nano-banana-2.1",
    ):
        assert text in html
    # thumbnail: the smallest JPEG rendition, not the original
    assert "-32.jpeg" in html

    def count(**params) -> int:
        return admin_client_.get(url("changelist"), params).context["cl"].result_count

    assert count(state="failed") == 1
    assert count(model="gemini-nano-banana-2.1") == 1
    assert count(q="barn") == 1
    assert count(q="picture of Blue") == 1  # search also looks at prompts


def test_changelist_sorts_by_annotations(admin_client_, make_asset):
    make_asset("A")
    make_asset("B", cost="0.5")
    for order in ("3", "-3", "6", "-6"):
        assert admin_client_.get(url("changelist"), {"o": order}).status_code == 200


# -- change page --------------------------------------------------------------------------------


def test_change_page_shows_image_history_overlay_editor(admin_client_, make_asset, make_user):
    editor = make_user("change", "generate", "view")
    asset = make_asset("Harbour", owner=editor)
    older = asset.current_version
    add_version(asset, state=State.BLOCKED, prompt="something unsafe")
    AssetVersion.objects.filter(asset=asset, state=State.BLOCKED).update(
        error="The prompt was blocked (PROHIBITED_CONTENT).", error_code="PROHIBITED_CONTENT"
    )
    response = admin_client_.get(url("change", asset.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="nb-current-img"' in html
    assert 'id="nb-overlay-form"' in html
    assert "Edit from this version" in html
    assert "blocked by the model's safety filters" in html
    assert "PROHIBITED_CONTENT" in html
    assert str(older.pk) in html
    assert 'data-busy="0"' in html


def test_status_json_reports_state_and_panels(admin_client_, make_asset):
    asset = make_asset("Queued one")
    add_version(asset, state=State.QUEUED, prompt="more")
    data = admin_client_.get(url("status", asset.pk)).json()
    assert data["busy"] is True
    assert data["state"] == "queued"
    assert data["current_version"] == str(asset.current_version_id)
    assert {v["state"] for v in data["versions"]} == {"queued", "succeeded"}
    assert "nb-version" in data["html"]["history"]
    assert "nb-current-img" in data["html"]["current"]


def test_overlay_preview_is_an_image_and_errors_are_json(admin_client_, make_asset):
    asset = make_asset("Poster")
    response = admin_client_.post(
        url("overlay_preview", asset.pk),
        {
            "overlay-text": "SALE 50%",
            "overlay-anchor": "center",
            "overlay-size": "0.2",
            "overlay-background": "band",
        },
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response.content[:2] == b"\xff\xd8"
    bad = admin_client_.post(
        url("overlay_preview", asset.pk), {"overlay-text": "x", "overlay-anchor": "nowhere"}
    )
    assert bad.status_code == 400
    assert "anchor" in bad.json()["errors"]


GHOST = {
    "overlay-text": "SALE",
    "overlay-style": "custom",
    "overlay-color": "#808080",
    "overlay-background": "box",
    "overlay-background_color": "#808080",
    "overlay-background_opacity": "1",
    "overlay-size": "0.2",
}


def test_overlay_preview_reports_the_treatment_and_measured_contrast(admin_client_, make_asset):
    asset = make_asset("Poster")
    auto = admin_client_.post(
        url("overlay_preview", asset.pk),
        {"overlay-text": "SALE", "overlay-size": "0.2", "overlay-style": "auto"},
    )
    assert auto.status_code == 200
    assert auto["X-Overlay-Treatment"] in ("plain", "shadow", "scrim")
    assert float(auto["X-Overlay-Contrast"]) >= 4.5
    ghost = admin_client_.post(url("overlay_preview", asset.pk), GHOST)
    assert ghost["X-Overlay-Treatment"] == "custom"
    assert float(ghost["X-Overlay-Contrast"]) < 3


def test_saving_an_illegible_custom_overlay_warns_the_editor(admin_client_, make_asset):
    asset = make_asset("Poster")
    response = admin_client_.post(url("overlay", asset.pk), GHOST)
    assert response.status_code == 302
    assert any("3:1" in text for text in texts(response))
    admin_client_.get(response["Location"])  # shows (and consumes) the messages
    fine = admin_client_.post(
        url("overlay", asset.pk), {"overlay-text": "SALE", "overlay-style": "auto"}
    )
    assert not any("3:1" in text for text in texts(fine))


def test_change_page_shows_overlay_units_and_the_measured_contrast(admin_client_, make_asset):
    asset = make_asset("Poster", renditions=True)
    asset.current_version.renditions.update(contrast=2.4, treatment="custom")
    asset.current_version.renditions.filter(width=64).update(contrast=7.5)
    page = admin_client_.get(url("change", asset.pk)).content.decode()
    assert "Fraction of the image height" in page
    assert "Fraction of the image&#x27;s shorter side" in page
    assert "Overlay contrast" in page and "2.4:1" in page  # the lowest over renditions
    assert 'id="nb-overlay-warning"' in page and "3:1" in page
    assert 'id="nb-overlay-measure"' in page


# -- actions ------------------------------------------------------------------------------------


def test_add_generates_and_logs(admin_client_, nanobanana_fake):
    response = admin_client_.post(
        url("add"),
        {
            "title": "Fresh",
            "prompt": "a banana on a beach",
            "model": "gemini-nano-banana-2.1",
            "aspect_ratio": "16:9",
            "image_size": "1K",
            "overlay-text": "Hello",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    asset = GeneratedAsset.objects.get(title="Fresh")
    assert response["Location"] == url("change", asset.pk)
    version = asset.versions.get()
    assert (version.state, version.aspect_ratio, version.source) == ("queued", "16:9", "admin")
    assert asset.overlay["text"] == "Hello"
    assert LogEntry.objects.filter(object_id=str(asset.pk), action_flag=1).exists()


def test_generate_regenerate_edit_overlay_make_current_cancel(admin_client_, make_asset):
    asset = make_asset("Cat")
    first = asset.current_version
    # Generate (page of one image)
    assert admin_client_.get(url("generate", asset.pk)).status_code == 200
    r = admin_client_.post(
        url("generate", asset.pk),
        {"prompt": "a cat", "model": "gemini-nano-banana-2.1", "aspect_ratio": "1:1"},
    )
    assert r.status_code == 302
    # Regenerate with a changed prompt
    assert admin_client_.get(url("regenerate", asset.pk), {"version": first.pk}).status_code == 200
    r = admin_client_.post(
        url("regenerate", asset.pk) + f"?version={first.pk}",
        {
            "prompt": "a cat, at night",
            "model": first.model,
            "aspect_ratio": "3:2",
            "image_size": "1K",
        },
    )
    assert r.status_code == 302
    regenerated = asset.versions.get(kind="regenerate")
    assert (regenerated.prompt, regenerated.parent_id) == ("a cat, at night", first.pk)
    # Edit with an instruction, multi-turn on the version
    r = admin_client_.post(
        url("edit", asset.pk) + f"?version={first.pk}", {"instruction": "make it purple"}
    )
    assert r.status_code == 302
    assert asset.versions.get(kind="edit").parent_id == first.pk
    # Re-render overlay
    r = admin_client_.post(
        url("overlay", asset.pk), {"overlay-text": "Adopt me", "overlay-anchor": "top-center"}
    )
    assert r.status_code == 302
    asset.refresh_from_db()
    assert asset.overlay["anchor"] == "top-center"
    # Make an older version current
    second = add_version(asset)
    r = admin_client_.post(url("make_current", asset.pk), {"version": second.pk})
    assert r.status_code == 302
    asset.refresh_from_db()
    assert asset.current_version_id == second.pk
    # Cancel queued work
    queued = asset.versions.filter(state="queued").first()
    admin_client_.post(url("cancel", asset.pk), {"version": queued.pk})
    queued.refresh_from_db()
    assert queued.state == "cancelled"
    # every action is in the admin log
    messages = list(
        LogEntry.objects.filter(object_id=str(asset.pk)).values_list("change_message", flat=True)
    )
    for text in (
        "Generated version",
        "Regenerated version",
        "Edited version",
        "Changed the text overlay",
        "current",
        "Cancelled version",
    ):
        assert any(text in m for m in messages), (text, messages)


def test_changelist_actions_use_an_intermediate_form(admin_client_, make_asset):
    a, b = make_asset("One"), make_asset("Two")
    selected = {"_selected_action": [a.pk, b.pk]}
    for action, fields in [
        ("generate_action", {"prompt": "fresh", "model": "gemini-nano-banana-2.1"}),
        ("regenerate_action", {"prompt": ""}),
        ("edit_action", {"instruction": "brighter"}),
        ("overlay_action", {"overlay-text": "NEW"}),
    ]:
        first = admin_client_.post(url("changelist"), {"action": action, **selected})
        assert first.status_code == 200, action
        assert 'id="nb-action-form"' in first.content.decode()
        done = admin_client_.post(
            url("changelist"), {"action": action, "apply": "1", **selected, **fields}
        )
        assert done.status_code == 302, (action, done.content.decode()[:3000])
    assert AssetVersion.objects.filter(state="queued").count() == 6
    assert GeneratedAsset.objects.filter(overlay__text="NEW").count() == 2
    assert LogEntry.objects.count() == 8


def test_uploads_and_library_references(admin_client_, make_asset):
    source = make_asset("Reference")
    target = make_asset("Target")
    upload = io.BytesIO(png(40, 40))
    upload.name = "ref.png"
    r = admin_client_.post(
        url("generate", target.pk),
        {
            "prompt": "combine",
            "model": "gemini-nano-banana-2.1",
            "reference_assets": [source.pk],
            "reference_uploads": upload,
        },
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    version = target.versions.get(state="queued")
    assert len(version.references) == 2


# -- bad input ----------------------------------------------------------------------------------


def test_bad_ratio_for_model_is_a_form_error(admin_client_, make_asset):
    asset = make_asset("Wide")
    r = admin_client_.post(
        url("generate", asset.pk),
        {"prompt": "x", "model": "gemini-2.5-flash-image", "aspect_ratio": "8:1"},
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert "does not support aspect ratio 8:1" in html
    assert not asset.versions.filter(state="queued").exists()


def test_fixed_size_model_refuses_a_size(admin_client_):
    r = admin_client_.post(
        url("add"), {"prompt": "x", "model": "gemini-2.5-flash-image", "image_size": "2K"}
    )
    assert r.status_code == 200
    assert "fixed output size" in r.content.decode()


def test_missing_key_is_a_clear_error(admin_client_, make_asset, settings):
    settings.NANOBANANA = {
        "PROVIDERS": {"gemini": {"API_KEY": None, "API_KEY_ENV": "NB_TEST_NO_SUCH_KEY"}}
    }
    asset = make_asset("Keyless")
    r = admin_client_.post(
        url("generate", asset.pk), {"prompt": "x", "model": "gemini-nano-banana-2.1"}
    )
    assert r.status_code == 200
    assert "No API key is configured" in r.content.decode()


def test_over_budget_is_a_clear_error(admin_client_, make_asset):
    Budget.objects.create(name="tiny", scope="site", period="day", amount_limit="0.000001")
    asset = make_asset("Pricey")
    r = admin_client_.post(
        url("generate", asset.pk), {"prompt": "x", "model": "gemini-nano-banana-2.1"}
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert "Over the daily budget" in html
    assert not asset.versions.filter(state="queued").exists()
    # the changelist action reports it per image, never a 500
    r = admin_client_.post(
        url("changelist"),
        {
            "action": "generate_action",
            "apply": "1",
            "_selected_action": [asset.pk],
            "prompt": "x",
            "model": "gemini-nano-banana-2.1",
        },
        follow=True,
    )
    assert r.status_code == 200
    assert any("Over the daily budget" in m for m in texts(r))


def test_bad_overlay_is_a_form_error(admin_client_, make_asset):
    asset = make_asset("Small")
    r = admin_client_.post(
        url("overlay", asset.pk), {"overlay-text": "Hello", "overlay-color": "not-a-colour"}
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert "errornote" in html
    assert 'class="form-row field-color errors"' in html
    asset.refresh_from_db()
    assert asset.overlay is None


def test_make_current_of_unfinished_version_is_a_message(admin_client_, make_asset):
    asset = make_asset("Half")
    queued = add_version(asset, state=State.QUEUED)
    r = admin_client_.post(url("make_current", asset.pk), {"version": queued.pk}, follow=True)
    assert r.status_code == 200
    assert any("Only a finished image" in m for m in texts(r))
    r = admin_client_.post(
        url("cancel", asset.pk), {"version": asset.current_version_id}, follow=True
    )
    assert any("Only queued work can be cancelled" in m for m in texts(r))


def test_unknown_version_is_404_not_500(admin_client_, make_asset):
    asset = make_asset("X")
    assert admin_client_.post(url("make_current", asset.pk), {"version": "nope"}).status_code == 404
    assert admin_client_.get(url("regenerate", asset.pk), {"version": "nope"}).status_code == 404


# -- dashboard ----------------------------------------------------------------------------------


def test_dashboard_and_csv(admin_client_, make_asset):
    make_asset("Failed one", state=State.FAILED, error="boom", error_code="INTERNAL")
    Budget.objects.create(name="monthly", scope="site", period="month", amount_limit="10")
    r = admin_client_.get(url("usage"))
    assert r.status_code == 200
    html = r.content.decode()
    for text in (
        'id="nb-chart-day"',
        "chart.umd.min.js",
        "nb-chart-data",
        "monthly",
        "boom",
        "Manage budgets",
    ):
        assert text in html
    data = json.loads(r.context["charts"].__class__ and json.dumps(r.context["charts"]))
    assert set(data) == {"day", "user", "model"}
    r = admin_client_.get(
        url("usage_csv"), {"since": "2024-01-01", "until": "2024-01-31", "group": ["day", "model"]}
    )
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode())))
    assert rows[0][:3] == ["day", "model", "requests"]


def test_chart_library_is_vendored_with_licence():
    from pathlib import Path

    import django_nanobanana

    root = Path(django_nanobanana.__file__).parent / "static" / "nanobanana" / "vendor" / "chartjs"
    assert (root / "chart.umd.min.js").stat().st_size > 100_000
    assert (
        "MIT" in (root / "LICENSE.md").read_text()
        or "Permission" in (root / "LICENSE.md").read_text()
    )


def test_changelist_model_column_has_a_header_and_values(admin_client_, make_asset):
    """The model column is not shadowed by ``ModelAdmin.model`` (an empty column headed
    "GENERATEDASSET")."""
    import re

    make_asset("Red barn", model="gemini-2.5-flash-image")
    html = admin_client_.get(url("changelist")).content.decode()
    headers = re.findall(r'<th scope="col" class="([^"]*)"', html)
    assert not any("column-model" in h for h in headers)
    cell = re.search(r'<td class="field-image_model">([^<]*)</td>', html)
    assert cell is not None and cell.group(1) == "gemini-2.5-flash-image"
    header = html.split("column-image_model", 1)[1][:400]
    assert ">Model<" in header or ">model<" in header.lower()
    assert "generatedasset" not in header.lower()


def test_dashboard_charts_cover_every_day_and_only_models_that_spent(admin_client_):
    """One bar per day of the window (not one bar for the only day with data); the
    model legend lists only models that cost something this month."""
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from django_nanobanana import ledger
    from django_nanobanana.ledger import budget_timezone
    from tests.helpers import try_reserve

    reservation = try_reserve(None, "0.10", model="gemini-3.1-flash-image-preview")
    ledger.settle(reservation.version_id, actual=Decimal("0.067"))
    ledger.record_request(
        user=None,
        source="api",
        prompt="too wide",
        model="gemini-2.5-flash-image",
        outcome="invalid",
        reason="bad ratio",
    )
    data = admin_client_.get(url("usage")).context["charts"]
    today = timezone.now().astimezone(budget_timezone()).date()
    assert len(data["day"]["labels"]) == 30
    assert data["day"]["labels"][-1] == today.isoformat()
    assert data["day"]["labels"][0] == (today - dt.timedelta(days=29)).isoformat()
    assert data["day"]["cost"][-1] == "0.067000" and set(data["day"]["cost"][:-1]) == {"0"}
    assert data["model"]["labels"] == ["gemini-3.1-flash-image-preview"]
    week = admin_client_.get(url("usage"), {"days": 7}).context["charts"]
    assert len(week["day"]["labels"]) == 7


def test_a_bad_reference_file_is_reported_once_on_its_own_field(admin_client_, make_asset):
    import re

    good = io.BytesIO(png(40, 40))
    good.name = "good.png"
    bad = io.BytesIO(b"this is not an image at all" * 10)
    bad.name = "notes.png"
    r = admin_client_.post(
        url("add"),
        {
            "title": "Mix",
            "prompt": "combine",
            "model": "gemini-3.1-flash-image-preview",
            "reference_uploads": [good, bad],
        },
    )
    assert r.status_code == 200
    html = r.content.decode()
    row = re.search(r'<div class="form-row field-reference_uploads errors">(.*?)</div>', html, re.S)
    assert row is not None, "the error is not on the uploads field"
    assert "notes.png" in row.group(1) and "good.png" not in row.group(1)
    message = re.search(r'<ul class="errorlist[^"]*"[^>]*><li>(notes\.png[^<]*)</li>', html)
    assert message is not None and html.count(message.group(1)) == 1
    assert not texts(r)  # not repeated as a message above the form
    assert not GeneratedAsset.objects.exists()


# -- the change page's live update --------------------------------------------------------------


def test_status_brings_tools_and_overlay_editor_once_a_current_image_exists(
    admin_client_, make_asset
):
    """The page polled with no current image (current=""); once one exists, the answer
    carries "Edit with an instruction" and the overlay editor, so no reload is needed."""
    asset = make_asset("First")
    data = admin_client_.get(url("status", asset.pk), {"current": ""}).json()
    assert "nb-tool-edit" in data["html"]["tools"]
    assert f"?version={asset.current_version_id}" in data["html"]["tools"]
    assert 'id="nb-overlay-form"' in data["html"]["editor"]
    assert url("overlay_preview", asset.pk) in data["html"]["editor"]
    same = admin_client_.get(
        url("status", asset.pk), {"current": str(asset.current_version_id)}
    ).json()
    assert "tools" not in same["html"] and "editor" not in same["html"]


def test_a_version_being_finished_is_not_shown_as_succeeded_without_an_image(
    admin_client_, make_asset
):
    """Succeeded but not current yet (its renditions are being written): "Finishing",
    busy, no "Make current" for it, rather than "Succeeded" next to "No image yet"."""
    from django.utils import timezone

    asset = make_asset("Fresh")
    version = asset.current_version
    GeneratedAsset.objects.filter(pk=asset.pk).update(
        current_version=None, updated_at=timezone.now() - timezone.timedelta(seconds=5)
    )
    AssetVersion.objects.filter(pk=version.pk).update(finished_at=timezone.now())
    data = admin_client_.get(url("status", asset.pk)).json()
    assert data["busy"] is True
    assert 'data-nb-state="running"' in data["html"]["current"]
    assert "Succeeded" not in data["html"]["current"]
    assert "nb-make-current" not in data["html"]["history"]


def test_current_version_thumbnail_shows_the_rendered_overlay(admin_client_, make_asset):
    from django_nanobanana.models import Rendition

    asset = make_asset("Poster", renditions=True)
    version = asset.current_version
    Rendition.objects.bulk_create(
        [
            Rendition(
                version=version,
                width=w,
                height=w * 2 // 3,
                format="jpeg",
                overlay_hash="abc123",
                file=f"nanobanana/r/{version.pk}-{w}-abc123.jpeg",
                bytes=100,
            )
            for w in (32, 64)
        ]
    )
    GeneratedAsset.objects.filter(pk=asset.pk).update(rendered_overlay_hash="abc123")
    history = admin_client_.get(url("status", asset.pk)).json()["html"]["history"]
    assert f"{version.pk}-32-abc123.jpeg" in history
    page = admin_client_.get(url("change", asset.pk)).content.decode()
    assert f"{version.pk}-32-abc123.jpeg" in page.split('id="nb-history"', 1)[1]
