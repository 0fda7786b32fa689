"""The admin in a real browser (Debian's Chromium, headless, through Selenium).

One editor's session, step by step, with a screenshot of each step under
``test-artifacts/screenshots/``: log in, create an image (Generate) against the fake
Gemini server, watch its state turn to succeeded without reloading, change the overlay
and see the server-side preview update, regenerate and make the older version current,
open the usage dashboard and see the charts drawn.

The worker, the browser and the waits come from ``tests/browser_support.py``.
"""

# ruff: noqa: F811  (the fixtures imported from browser_support are parameters here)
from __future__ import annotations

import time
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from django_nanobanana.models import GeneratedAsset

from ..browser_support import browser, css, login, shot, wait, worker  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(120),
]


@pytest.fixture
def site(settings, nanobanana_fake, media_root, live_server) -> Any:
    """Live server + fake Gemini server + media served from the test's folder."""
    settings.MEDIA_ROOT = str(media_root)
    current = dict(settings.NANOBANANA)
    current.update(
        {
            "RENDITION_WIDTHS": (320, 640),
            "RENDITION_FORMATS": ("webp", "jpeg"),
            "ADMIN_STATUS_POLL_SECONDS": 0.5,
        }
    )
    settings.NANOBANANA = current
    nanobanana_fake.latency = 1.0  # long enough to see "queued"/"running" first
    get_user_model().objects.create_superuser("editor", "editor@example.com", "pw")
    return live_server


def test_editor_session(browser, site, worker):
    base = site.url
    started = time.monotonic()

    # 1. log in
    login(browser, base)
    shot(browser, "01-logged-in")

    # 2. create an image: the add page is Generate (prompt, model, ratio, size, overlay)
    browser.get(base + reverse("admin:nanobanana_generatedasset_add"))
    browser.find_element("id", "id_title").send_keys("Banana boat")
    browser.find_element("id", "id_prompt").send_keys("a yellow banana boat on a calm sea")
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("id", "id_aspect_ratio")).select_by_value("3:2")
    Select(browser.find_element("id", "id_image_size")).select_by_value("1K")
    shot(browser, "02-generate-form")
    browser.find_element("id", "nb-submit").click()
    wait(browser, css("#nb-status"))
    asset = GeneratedAsset.objects.get(title="Banana boat")
    state = browser.find_element("id", "nb-latest-state").get_attribute("data-nb-state")
    assert state in ("queued", "running"), state
    shot(browser, "03-queued")

    # 3. the state turns to succeeded without reloading the page, and what needs a
    #    current image arrives with it: the overlay editor and "Edit with an instruction"
    browser.execute_script("window.nbNoReload = 'still here';")
    wait(browser, css("#nb-latest-state[data-nb-state=succeeded]"))
    wait(browser, css("#nb-current-img"))
    wait(browser, css("#nb-tool-edit"))
    wait(browser, css("#nb-overlay-preview[data-seq]:not([data-seq='0'])"))
    assert browser.execute_script("return window.nbNoReload") == "still here"
    assert "No image yet" not in browser.find_element("id", "nb-current").text
    assert "Banana boat" in browser.title
    shot(browser, "04-succeeded")

    # 4. the overlay editor: the server-side preview follows the text
    first_src = browser.find_element("id", "nb-overlay-preview").get_attribute("src")
    first_seq = int(browser.find_element("id", "nb-overlay-preview").get_attribute("data-seq"))
    text = browser.find_element("id", "id_overlay-text")
    text.send_keys("SALE 50%")
    Select(browser.find_element("id", "id_overlay-background")).select_by_value("band")
    wait(
        browser,
        lambda d: (
            int(d.find_element("id", "nb-overlay-preview").get_attribute("data-seq") or 0)
            > first_seq
        ),
    )
    assert browser.find_element("id", "nb-overlay-preview").get_attribute("src") != first_src
    # The caption names the automatic style's treatment and the contrast it measured.
    measure = wait(browser, css("#nb-overlay-measure:not([hidden])"))
    assert float(measure.get_attribute("data-ratio")) >= 4.5
    assert ":1" in measure.text
    browser.execute_script("document.getElementById('nb-overlay-form').scrollIntoView()")
    shot(browser, "05-overlay-preview")
    from selenium.webdriver.support import expected_conditions as ec

    before = browser.find_element("id", "nb-status")
    browser.find_element("id", "nb-overlay-save").click()
    wait(browser, ec.staleness_of(before))  # the overlay view redirects back to the page
    wait(browser, css("#nb-status[data-busy='0'] #nb-current-img"))
    asset.refresh_from_db()
    assert asset.overlay["text"] == "SALE 50%"
    assert asset.rendered_overlay_hash  # rendered by the worker while the page polled
    # the version's thumbnail shows the overlay the pages show
    first_version = asset.current_version_id
    wait(
        browser,
        lambda d: (
            f"/{asset.rendered_overlay_hash}/"
            in d.find_element(
                "css selector", f"#nb-version-{first_version} .nb-version-thumb img"
            ).get_attribute("src")
        ),
    )

    # 5. edit with an instruction: the new image becomes current without a reload, and
    #    the overlay preview is drawn on the new image
    browser.find_element("id", "nb-tool-edit").click()
    instruction = wait(browser, css("#id_instruction"))
    instruction.send_keys("make the sea purple")
    browser.find_element("id", "nb-submit").click()
    wait(browser, css("#nb-status"))
    browser.execute_script("window.nbNoReload = 'still here';")
    try:
        wait(
            browser,
            lambda d: (
                d.find_element("id", "nb-current-img").get_attribute("data-version")
                not in ("", str(first_version))
            ),
        )
    except Exception:
        asset.refresh_from_db()
        print("diagnostics: asset", asset.updated_at, asset.current_version_id, first_version)
        for v in asset.versions.all():
            print(
                "diagnostics: v", v.pk, v.state, v.created_at, v.finished_at, v.renditions.count()
            )
        print("diagnostics: errors", worker.errors, worker.broker_errors)
        raise
    edited = browser.find_element("id", "nb-current-img").get_attribute("data-version")
    wait(
        browser,
        lambda d: (
            f"?version={edited}" in d.find_element("id", "nb-tool-edit").get_attribute("href")
        ),
    )
    wait(
        browser,
        lambda d: (
            d.find_element("id", "nb-overlay-form").get_attribute("data-preview-url")
            and int(d.find_element("id", "nb-overlay-preview").get_attribute("data-seq") or 0) > 0
        ),
    )
    assert browser.execute_script("return window.nbNoReload") == "still here"
    assert browser.find_element("id", "id_overlay-text").get_attribute("value") == "SALE 50%"
    shot(browser, "06-edited")

    # 6. revert: make the first version current again
    browser.find_element("css selector", f"#nb-version-{first_version} .nb-make-current").click()
    wait(
        browser,
        lambda d: (
            d.find_element("id", "nb-current-img").get_attribute("data-version")
            == str(first_version)
        ),
    )
    asset.refresh_from_db()
    assert str(asset.current_version_id) == str(first_version)
    assert asset.versions.count() == 2
    shot(browser, "07-made-current")
    browser.execute_script("window.scrollTo(0, 0)")
    browser.execute_script(
        "window.getSelection().removeAllRanges();"
        "document.activeElement && document.activeElement.blur();"
    )
    shot(browser, "admin-asset", docs=True)

    # 7. the usage dashboard draws its charts
    browser.get(base + reverse("admin:nanobanana_generatedasset_usage"))
    wait(browser, css("body[data-charts-drawn='1'] #nb-chart-day[data-drawn='1']"))
    painted = browser.execute_script("""
        const c = document.getElementById('nb-chart-day');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; }
        return n;""")
    assert painted > 1000, painted
    shot(browser, "08-dashboard")

    assert not worker.errors, worker.errors
    assert worker.done >= 3  # generation, overlay render and edit went through the queue
    assert time.monotonic() - started < 90


def test_bad_ratio_is_shown_on_the_form(browser, site, worker):
    base = site.url
    login(browser, base)
    browser.get(base + reverse("admin:nanobanana_generatedasset_add"))
    browser.find_element("id", "id_prompt").send_keys("a very wide banana")
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("id", "id_model")).select_by_value("gemini-3-pro-image")
    # the script offers only the model's ratios: 8:1 is hidden for this model
    option = browser.find_element("css selector", "#id_aspect_ratio option[value='8:1']")
    assert option.get_attribute("disabled") is not None
    # forced anyway (an old form, a crafted request): a clear error, never a 500
    browser.execute_script(
        "const s = document.getElementById('id_aspect_ratio');"
        "s.querySelector(\"option[value='8:1']\").disabled = false; s.value = '8:1';"
    )
    browser.find_element("id", "nb-submit").click()
    error = wait(browser, css(".field-aspect_ratio .errorlist"))
    assert "does not support aspect ratio 8:1" in error.text
    shot(browser, "09-bad-ratio")
    assert not GeneratedAsset.objects.exists()


def test_dashboard_budget_shows_what_enforcement_checks(browser, site):
    """$1.05 already spent today; a site budget of $0.50 added in the admin mid-day: the
    dashboard shows $1.05 spent and $0.00 left, what the next reservation is refused on."""
    from decimal import Decimal

    from django_nanobanana import ledger
    from tests.helpers import try_reserve

    user = get_user_model().objects.get(username="editor")
    spent = try_reserve(user, "1.10")
    ledger.settle(spent.version_id, actual=Decimal("1.05"))

    base = site.url
    login(browser, base)
    browser.get(base + reverse("admin:nanobanana_budget_add"))
    browser.find_element("id", "id_name").send_keys("Site per day")
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("id", "id_scope")).select_by_value("site")
    Select(browser.find_element("id", "id_period")).select_by_value("day")
    browser.find_element("id", "id_amount_limit").send_keys("0.50")
    browser.find_element("css selector", "input[name=_save]").click()
    wait(browser, css("#result_list"))
    assert "$1.05 / $0.50" in browser.find_element("id", "result_list").text

    refused = try_reserve(user, "0.039")
    assert isinstance(refused, ledger.BudgetExceeded)
    browser.get(base + reverse("admin:nanobanana_generatedasset_usage"))
    row = wait(browser, css("#nb-budgets tbody tr"))
    assert row.find_element("css selector", ".nb-spent").text == "$1.05"
    assert (
        row.find_element("css selector", ".nb-left").text
        == ledger.format_money(refused.remaining)
        == "$0.00"
    )
    wait(browser, css("body[data-charts-drawn='1']"))
    browser.execute_script("document.getElementById('nb-budgets').scrollIntoView()")
    shot(browser, "dashboard-budget", docs=True)
