"""An editor reviews the suggested alt text in a real browser (headless Debian Chromium):
the generation is described by the text model through the queue, the change page shows
the suggestion, the editor clicks the subject to move the focal point, edits the alt text
and accepts it."""

# ruff: noqa: F811  (the fixtures imported from browser_support are parameters here)
from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from django_nanobanana.models import DescriptionState, GeneratedAsset, ImageDescription
from django_nanobanana.services import GenerationParams, execute_version, generate

from ..browser_support import browser, css, login, shot, wait, worker  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(120),
]


@pytest.fixture
def site(settings, nanobanana_fake, media_root, live_server) -> Any:
    settings.MEDIA_ROOT = str(media_root)
    current = dict(settings.NANOBANANA)
    current.update({"RENDITION_WIDTHS": (320, 640), "RENDITION_FORMATS": ("webp", "jpeg")})
    settings.NANOBANANA = current
    get_user_model().objects.create_superuser("editor", "editor@example.com", "pw")
    return live_server


def _generated(prompt: str, title: str) -> Any:
    """A 16:9 image the editor generated, run to the end here (not by the worker)."""
    editor = get_user_model().objects.get(username="editor")
    params = GenerationParams(prompt=prompt, aspect_ratio="16:9")
    version = generate(params, user=editor, title=title, enqueue=False)
    execute_version(version.pk)
    return version


def test_an_editor_accepts_the_suggested_alt_text_with_a_clicked_focal_point(browser, site, worker):
    # on commit: the describe call is queued; the worker runs it
    version = _generated("a red lighthouse on a rocky coast", "Lighthouse")

    def described(_driver: Any) -> bool:
        return ImageDescription.objects.filter(
            version_id=version.pk, state=DescriptionState.SUCCEEDED
        ).exists()

    wait(browser, described)
    asset = GeneratedAsset.objects.get(pk=version.asset_id)
    login(browser, site.url)
    browser.get(site.url + reverse("admin:nanobanana_generatedasset_change", args=[asset.pk]))
    field = wait(browser, css("#id_alt_text_en-us"))
    assert field.get_attribute("value") == "A red lighthouse on a rocky coast"
    shot(browser, "alt-text-01-suggestion")

    from selenium.webdriver.common.action_chains import ActionChains

    image = browser.find_element("id", "nb-focal-image")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", image)
    width, height = image.size["width"], image.size["height"]
    # Selenium 4 offsets are from the element's centre: click at 90% across, 25% down.
    ActionChains(browser).move_to_element_with_offset(
        image, int(width * 0.4), int(-height * 0.25)
    ).click().perform()
    wait(browser, lambda d: d.find_element("id", "nb-focal-marker").is_displayed())
    clicked_x = float(
        browser.find_element("css selector", "#nb-accept-form .nb-focal-x").get_attribute("value")
    )
    clicked_y = float(
        browser.find_element("css selector", "#nb-accept-form .nb-focal-y").get_attribute("value")
    )
    assert abs(clicked_x - 0.9) < 0.03 and abs(clicked_y - 0.25) < 0.03

    field.clear()
    field.send_keys("A red lighthouse on rocks above a grey sea")
    shot(browser, "alt-text-02-edited")
    browser.find_element("id", "nb-accept-description").click()
    wait(browser, css("ul.messagelist li.success"))
    shot(browser, "alt-text-03-accepted")

    asset.refresh_from_db()
    assert asset.alt_text == "A red lighthouse on rocks above a grey sea"
    assert (asset.focal_point_x, asset.focal_point_y) == (clicked_x, clicked_y)
    assert ImageDescription.objects.get(version_id=version.pk).review == "accepted"
    assert not worker.errors


def test_the_suggestion_appears_without_a_reload_when_the_text_model_answers(
    browser, site, worker, nanobanana_fake, settings
):
    """The editor asks for a suggestion from the change page; while the text model works
    the panel says so, and when it answers the alt text and focal point appear in place
    (the page is not reloaded) and the image takes clicks for the focal point."""
    settings.NANOBANANA = {**settings.NANOBANANA, "DESCRIPTIONS": {"AUTO": False}}
    version = _generated("a blue boat in a harbour", "Boat")
    asset = GeneratedAsset.objects.get(pk=version.asset_id)
    # The text model's answer is held until the test lets it through (a condition, not a
    # clock): the page is seen waiting first.
    nanobanana_fake.gate, nanobanana_fake.gate_timeout = 10**6, 90.0
    login(browser, site.url)
    browser.get(site.url + reverse("admin:nanobanana_generatedasset_change", args=[asset.pk]))
    wait(browser, css("#nb-describe")).click()
    wait(browser, css("#nb-description-busy"))
    browser.execute_script("window.nbSamePage = true;")
    wait(
        browser,
        lambda d: ImageDescription.objects.filter(
            version_id=version.pk, state=DescriptionState.RUNNING
        ).exists(),
    )
    assert not browser.find_elements("css selector", "#id_alt_text_en-us")
    shot(browser, "alt-text-live-01-describing")

    nanobanana_fake.open_gate()
    field = wait(browser, css("#id_alt_text_en-us"))
    assert field.get_attribute("value") == "A blue boat in a harbour"
    assert browser.execute_script("return window.nbSamePage === true;")  # no reload
    assert not browser.find_elements("css selector", "#nb-description-busy")

    image = browser.find_element("id", "nb-focal-image")  # the swapped-in image takes clicks
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", image)
    image.click()
    wait(browser, lambda d: d.find_element("id", "nb-focal-marker").is_displayed())
    x = browser.find_element("css selector", "#nb-accept-form .nb-focal-x").get_attribute("value")
    assert abs(float(x) - 0.5) < 0.05
    shot(browser, "alt-text-live-02-suggested")
    assert not worker.errors
