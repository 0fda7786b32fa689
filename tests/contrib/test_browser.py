"""The three ways to put a generated image on a page, as a person does it, in a real
browser (Debian's Chromium, headless, through Selenium; nothing is downloaded):

* plain Django: a site's own ModelAdmin with a ``GeneratedAssetField`` (choose, generate
  new in the popup, save, see the ``<picture>`` on the site's page);
* django CMS: the "Generated image" plugin added from the toolbar's structure board
  (choose, save, see the picture on the page; without djangocms-versioning a saved
  plugin is live at once, so saving is publishing);
* Wagtail: the chooser in a FieldPanel and in a StreamField block (the chosen image's
  thumbnail shows), publish, see both on the published page.

Every wait is on a condition, capped at 20 s a step.
"""

# ruff: noqa: F811  (the fixtures imported from browser_support are parameters here)
from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from django_nanobanana.models import GeneratedAsset
from tests.browser_support import (  # noqa: F401
    back_from_popup,
    browser,
    css,
    in_popup,
    login,
    shot,
    wait,
    worker,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(120),
]


@pytest.fixture
def site(live_server, make_asset, editor, nanobanana_fake) -> Any:
    nanobanana_fake.latency = 0.3
    return live_server


def thumbnail_loaded(driver: Any, selector: str) -> bool:
    """The image has a real source and the browser decoded it (not a grey placeholder)."""
    return bool(
        driver.execute_script(
            "const i = document.querySelector(arguments[0]);"
            "return !!(i && !i.hidden && i.getAttribute('src') && i.complete"
            " && i.naturalWidth > 0 && i.getBoundingClientRect().width > 0);",
            selector,
        )
    )


def picture_sources(asset: GeneratedAsset, fmt: str = "webp") -> str:
    asset.refresh_from_db()
    rows = asset.current_version.renditions.filter(
        format=fmt, overlay_hash=asset.rendered_overlay_hash
    ).order_by("width")
    return ", ".join(f"{r.file.url} {r.width}w" for r in rows)


# -- plain Django: a site's own ModelAdmin -----------------------------------------------------


def test_model_field_in_the_sites_own_admin(browser, site, make_asset, worker):
    from tests.contrib.testapp.models import Article

    make_asset("A lighthouse at dusk", title="Lighthouse")
    base = site.url
    login(browser, base)
    browser.get(base + reverse("admin:nanobanana_testapp_article_add"))
    row = wait(browser, css(".field-hero"))
    assert "hidden" not in row.get_attribute("class").split() and row.is_displayed()
    browser.find_element("id", "id_title").send_keys("Harbour news")
    page = browser.current_window_handle

    # choose an existing image in the popup
    browser.find_element("css selector", ".field-hero [data-nb-action=choose]").click()
    in_popup(browser, page)
    wait(browser, css("[data-nb-choice]")).click()
    back_from_popup(browser, page)
    wait(browser, lambda d: thumbnail_loaded(d, ".field-hero [data-nb-thumb]"))
    assert "Lighthouse" in browser.find_element("css selector", ".field-hero").text

    # ... or generate a new one: the popup waits for it and hands it back
    browser.find_element("css selector", ".field-hero [data-nb-action=generate]").click()
    in_popup(browser, page)
    wait(browser, css("textarea[name=prompt], input[name=prompt]")).send_keys(
        "a red harbour crane at dawn"
    )
    title = browser.find_elements("css selector", "input[name=title]")
    if title:
        title[0].send_keys("Crane")
    browser.find_element("css selector", "form [type=submit]").click()
    back_from_popup(browser, page)
    new = GeneratedAsset.objects.exclude(title="Lighthouse").get()
    wait(browser, lambda d: d.find_element("id", "id_hero").get_attribute("value") == str(new.pk))
    wait(browser, lambda d: thumbnail_loaded(d, ".field-hero [data-nb-thumb]"))
    shot(browser, "django-field-chosen", docs=True)

    browser.find_element("css selector", "input[name=_save]").click()
    wait(browser, css("#changelist, .messagelist"))
    article = Article.objects.get(title="Harbour news")
    assert article.hero_id == new.pk

    browser.get(base + reverse("article", args=[article.pk]))
    source = wait(browser, css("#hero picture source[type='image/webp']"))
    assert source.get_attribute("srcset") == picture_sources(new)
    wait(browser, lambda d: thumbnail_loaded(d, "#hero picture img"))
    assert not worker.errors, worker.errors


# -- django CMS: the plugin from the toolbar -----------------------------------------------------


def test_cms_plugin_from_the_toolbar(browser, site, make_asset, editor, client):
    from cms.api import create_page
    from cms.models import PageContent
    from cms.toolbar.utils import get_object_structure_url

    from django_nanobanana.contrib.djangocms.models import GeneratedAssetPluginModel

    asset = make_asset("A lighthouse at dusk", title="Lighthouse", alt_text="A lighthouse")
    cms_page = create_page("Home", "cms_page.html", "en", created_by=editor)
    content = PageContent.admin_manager.get(page=cms_page, language="en")
    base = site.url
    login(browser, base)

    # the structure board: "+" on the placeholder, pick "Generated image"
    browser.get(base + get_object_structure_url(content))
    wait(browser, css(".cms-structure .cms-dragarea"))
    add = wait(
        browser,
        lambda d: next(
            (
                b
                for b in d.find_elements("css selector", ".cms-dragbar .cms-submenu-add")
                if b.is_displayed()
            ),
            None,
        ),
    )
    add.click()
    # the plugin picker (skipped by django CMS when only one plugin fits the placeholder)
    picked = wait(
        browser,
        lambda d: (
            d.find_elements("css selector", ".cms-modal-frame iframe")
            or next(
                (
                    a
                    for a in d.find_elements("css selector", ".cms-modal a")
                    if "Generated image" in a.text and a.is_displayed()
                ),
                None,
            )
        ),
    )
    if not isinstance(picked, list):
        picked.click()

    # the plugin form, in the modal's frame: the image row is visible; choose in the popup
    frame = wait(browser, css(".cms-modal-frame iframe"))
    browser.switch_to.frame(frame)
    row = wait(browser, css(".field-asset"))
    assert "hidden" not in row.get_attribute("class").split()
    # the overlay's style is offered, automatic (measured contrast) unless the editor picks
    style = browser.find_element("id", "id_overlay_style")
    assert style.is_displayed() and style.get_attribute("value") == "auto"
    page = browser.current_window_handle
    browser.find_element("css selector", ".field-asset [data-nb-action=choose]").click()
    in_popup(browser, page)
    wait(browser, css("[data-nb-choice]")).click()
    back_from_popup(browser, page)
    browser.switch_to.frame(wait(browser, css(".cms-modal-frame iframe")))
    wait(
        browser, lambda d: d.find_element("id", "id_asset").get_attribute("value") == str(asset.pk)
    )
    wait(browser, lambda d: thumbnail_loaded(d, ".field-asset [data-nb-thumb]"))
    browser.switch_to.default_content()
    shot(browser, "djangocms-plugin-form", docs=True)

    # save (the modal's own button); without versioning the page shows it at once
    wait(
        browser,
        lambda d: next(
            (
                b
                for b in d.find_elements("css selector", ".cms-modal-buttons .cms-btn-action")
                if b.is_displayed()
            ),
            None,
        ),
    ).click()
    wait(browser, lambda d: GeneratedAssetPluginModel.objects.filter(asset=asset).exists())
    wait(browser, lambda d: not d.find_elements("css selector", ".cms-modal-open"))

    client.logout()
    browser.delete_all_cookies()
    browser.get(base + cms_page.get_absolute_url("en"))
    source = wait(browser, css("#content picture source[type='image/webp']"))
    assert source.get_attribute("srcset") == picture_sources(asset)
    img = browser.find_element("css selector", "#content picture img")
    assert img.get_attribute("alt") == "A lighthouse"
    wait(browser, lambda d: thumbnail_loaded(d, "#content picture img"))


# -- Wagtail: chooser in a panel and in a StreamField block --------------------------------------


def wagtail_home() -> Any:
    """Wagtail's home page; recreated (with the locale, root and site) when an earlier
    transactional test flushed what Wagtail's migrations created."""
    from wagtail.models import Locale, Page, Site

    Locale.objects.get_or_create(language_code="en")
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
    home = root.get_children().first() or root.add_child(instance=Page(title="Home", slug="home"))
    Site.objects.get_or_create(
        is_default_site=True, defaults={"hostname": "localhost", "root_page": home}
    )
    return home


def _wagtail_choose(browser: Any, opener: Any, query: str, title: str) -> None:
    from selenium.webdriver.support import expected_conditions as ec

    opener.click()
    modal = wait(browser, ec.visibility_of_element_located(("css selector", ".modal-dialog")))
    modal.find_element("css selector", "input[name=q]").send_keys(query)
    wait(
        browser,
        lambda d: all(
            title in row.text
            for row in d.find_elements("css selector", ".modal-dialog [data-chooser-modal-choice]")
        ),
    )
    wait(
        browser,
        ec.element_to_be_clickable(
            ("xpath", f"//a[@data-chooser-modal-choice][contains(., '{title}')]")
        ),
    ).click()
    wait(browser, ec.invisibility_of_element_located(("css selector", ".modal-dialog")))


def test_wagtail_chooser_and_block_show_the_chosen_image(browser, site, make_asset, client):
    from django_nanobanana.chooser.core import thumbnail_url
    from tests.contrib.testapp.models import ImagePage

    lighthouse = make_asset("A lighthouse at dusk", title="Lighthouse", alt_text="A lighthouse")
    road = make_asset("A desert road", title="Road")
    home = wagtail_home()
    page = home.add_child(instance=ImagePage(title="Gallery", slug="gallery"))
    base = site.url
    login(browser, base)
    browser.get(f"{base}/wagtail-admin/pages/{page.pk}/edit/")

    # the field panel: choose, and the chosen image's thumbnail shows
    choose = wait(browser, css("#id_hero-chooser .unchosen [data-chooser-action-choose]"))
    _wagtail_choose(browser, choose, "lighthouse", "Lighthouse")
    assert browser.find_element("id", "id_hero").get_attribute("value") == str(lighthouse.pk)
    wait(browser, lambda d: thumbnail_loaded(d, "#id_hero-chooser [data-nb-wagtail-thumb]"))
    assert (
        browser.find_element("css selector", "#id_hero-chooser [data-nb-wagtail-thumb]")
        .get_attribute("src")
        .endswith(thumbnail_url(lighthouse))
    )

    # the StreamField block: add an image block, choose, its thumbnail shows too
    browser.execute_script(
        "document.querySelector('[data-streamfield-list-container] button.c-sf-add-button, "
        "button.c-sf-add-button').click()"
    )
    # a menu of block types (Wagtail inserts at once when there is only one)
    option = wait(
        browser,
        lambda d: (
            d.find_elements("css selector", "[id^=body-] .unchosen [data-chooser-action-choose]")
            or next(
                (
                    b
                    for b in d.find_elements("css selector", "[role=option], .w-combobox__option")
                    if b.is_displayed()
                ),
                None,
            )
        ),
    )
    if not isinstance(option, list):
        option.click()
    block_choose = wait(
        browser,
        lambda d: next(
            (
                b
                for b in d.find_elements(
                    "css selector", "[id^=body-] .unchosen [data-chooser-action-choose]"
                )
                if b.is_displayed()
            ),
            None,
        ),
    )
    _wagtail_choose(browser, block_choose, "road", "Road")
    wait(
        browser, lambda d: thumbnail_loaded(d, "[id^=body-][id$=-chooser] [data-nb-wagtail-thumb]")
    )
    wait(browser, lambda d: not d.find_elements("css selector", ".modal-backdrop"))
    shot(browser, "wagtail-chooser", docs=True)

    browser.execute_script("document.querySelector('button[name=\"action-publish\"]').click()")
    wait(browser, lambda d: "/edit/" not in d.current_url or "published" in d.page_source.lower())
    page.refresh_from_db()
    page = page.specific
    assert page.live and page.hero_id == lighthouse.pk
    assert [block.value.pk for block in page.body] == [road.pk]

    browser.get(base + page.url)
    source = wait(browser, css("#hero picture source[type='image/webp']"))
    assert source.get_attribute("srcset") == picture_sources(lighthouse)
    assert (
        browser.find_element("css selector", "#hero picture img").get_attribute("alt")
        == "A lighthouse"
    )
    wait(browser, lambda d: d.find_elements("css selector", "#body picture"))
    wait(browser, lambda d: thumbnail_loaded(d, "#body picture img"))
