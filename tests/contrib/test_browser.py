"""In a real browser: pick a generated image in the Wagtail page editor, publish, and see it
on the published page. Debian's Chromium and chromedriver; nothing is downloaded."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from tests.conftest import require_service

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture
def browser():
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        require_service("chromium", "Chromium/chromedriver not installed "
                                    "(apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="nanobanana-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--window-size=1400,1000",
                f"--user-data-dir={profile}"):
        options.add_argument(arg)
    # An explicit driver path: selenium-manager never runs, nothing is downloaded.
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def test_pick_in_page_editor_and_see_it_published(transactional_db, live_server, browser,
                                                  make_asset, editor, client):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait
    from wagtail.models import Page

    from tests.contrib.testapp.models import ImagePage

    asset = make_asset("A lighthouse at dusk", title="Lighthouse")
    make_asset("A desert road", title="Road")
    home = Page.get_first_root_node().get_children().first()
    page = home.add_child(instance=ImagePage(title="Gallery", slug="gallery"))

    client.force_login(editor)
    browser.get(live_server.url + "/admin/login/")  # any page: set the session cookie
    browser.add_cookie({"name": "sessionid", "value": client.cookies["sessionid"].value,
                        "path": "/"})
    wait = WebDriverWait(browser, 20)
    browser.get(f"{live_server.url}/wagtail-admin/pages/{page.pk}/edit/")

    choose = wait.until(ec.element_to_be_clickable(
        (By.CSS_SELECTOR, "#id_hero-chooser .unchosen [data-chooser-action-choose]")))
    choose.click()
    modal = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, ".modal-dialog")))
    search = modal.find_element(By.CSS_SELECTOR, "input[name=q]")
    search.send_keys("lighthouse")
    wait.until(lambda d: "Road" not in d.find_element(By.CSS_SELECTOR, ".modal-dialog").text)
    wait.until(ec.element_to_be_clickable(
        (By.XPATH, "//a[@data-chooser-modal-choice][contains(., 'Lighthouse')]"))).click()
    wait.until(ec.invisibility_of_element_located((By.CSS_SELECTOR, ".modal-dialog")))
    assert browser.find_element(By.ID, "id_hero").get_attribute("value") == str(asset.pk)
    assert "Lighthouse" in browser.find_element(By.CSS_SELECTOR, "#id_hero-chooser").text

    browser.execute_script(
        "document.querySelector('button[name=\"action-publish\"]').click()")
    wait.until(lambda d: "/edit/" not in d.current_url or "published" in d.page_source.lower())
    page.refresh_from_db()
    assert page.live and page.specific.hero_id == asset.pk

    browser.get(live_server.url + page.url)
    source = wait.until(ec.presence_of_element_located(
        (By.CSS_SELECTOR, "#hero picture source[type='image/webp']")))
    rows = asset.current_version.renditions.filter(format="webp").order_by("width")
    assert source.get_attribute("srcset") == ", ".join(f"{r.file.url} {r.width}w" for r in rows)
    assert browser.find_element(By.CSS_SELECTOR, "#hero picture img").get_attribute("alt") \
        == asset.alt_text
