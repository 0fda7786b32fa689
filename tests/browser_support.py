"""What the real-browser tests share: Debian's Chromium through Selenium (headless, no
network of its own), a worker thread for django-q2's queue, bounded waits, screenshots.

The worker: a thread in the test process takes the tasks from django-q2's ORM broker
(the same queue, payloads and task functions ``qcluster`` runs) and executes them. A
``qcluster`` subprocess would need the fake server's address and the test database
passed through the environment and costs seconds to start and stop; the thread shares
the test's settings (``nanobanana_fake``) and database file and is stopped in
microseconds, so the tests stay fast and deterministic.

Screenshots go to ``test-artifacts/screenshots/``; with ``NANOBANANA_DOCS_SCREENSHOTS=1``
the ones the docs show are also written to ``docs/screenshots/``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from tests.helpers import require_service

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
STEP_TIMEOUT = 20  # seconds for one step (the fake server answers in ~1 s; slack for busy CI)
CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
    "--disable-default-apps",
    "--window-size=1400,1000",
)


class QueueWorker(threading.Thread):
    """Runs django-q2 tasks from the ORM broker, like ``qcluster`` would."""

    def __init__(self) -> None:
        super().__init__(daemon=True, name="nanobanana-test-worker")
        self.stopping = threading.Event()
        self.errors: list[BaseException] = []  # raised by a task
        self.broker_errors: list[BaseException] = []  # e.g. a busy database: retried
        self.done = 0

    def run(self) -> None:
        from django.utils.module_loading import import_string
        from django_q.brokers import get_broker
        from django_q.signing import SignedPackage

        broker = get_broker()
        try:
            while not self.stopping.is_set():
                try:
                    tasks = broker.dequeue() or []
                except Exception as exc:  # a locked database: try again
                    self.broker_errors.append(exc)
                    tasks = []
                if not tasks:
                    self.stopping.wait(0.1)
                    continue
                for ack_id, payload in tasks:
                    task = SignedPackage.loads(payload)
                    func = task["func"]
                    func = import_string(func) if isinstance(func, str) else func
                    try:
                        func(*task.get("args", ()), **task.get("kwargs", {}))
                    except Exception as exc:
                        self.errors.append(exc)
                    broker.acknowledge(ack_id)
                    self.done += 1
        finally:
            connections.close_all()

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=10)


@pytest.fixture
def worker() -> Iterator[QueueWorker]:
    thread = QueueWorker()
    thread.start()
    try:
        yield thread
    finally:
        thread.stop()


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Debian Chromium. An explicit driver path: selenium-manager never runs and
    nothing is downloaded. Skips without Chromium, fails under CI=true."""
    chromium = shutil.which("chromium") or (CHROMIUM if os.path.exists(CHROMIUM) else None)
    driver_path = shutil.which("chromedriver") or (
        CHROMEDRIVER if os.path.exists(CHROMEDRIVER) else None
    )
    if not chromium or not driver_path:
        require_service(
            "chromium", "Chromium is not installed: apt-get install chromium chromium-driver"
        )
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        require_service("selenium", "selenium is not installed: pip install -e '.[dev]'")
    profile = tempfile.mkdtemp(prefix="nanobanana-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (*CHROMIUM_ARGS, f"--user-data-dir={profile}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(STEP_TIMEOUT)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def shot(driver: Any, name: str, *, docs: bool = False) -> Path:
    """A screenshot under test-artifacts/; ``docs``: also refresh docs/screenshots/ when
    NANOBANANA_DOCS_SCREENSHOTS=1."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    if docs and os.environ.get("NANOBANANA_DOCS_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOTS / f"{name}.png")
    return path


def wait(driver: Any, condition: Any, timeout: float = STEP_TIMEOUT) -> Any:
    """Wait for a condition (at most ``timeout`` seconds), never a fixed sleep."""
    from selenium.common.exceptions import (
        NoSuchElementException,
        NoSuchWindowException,
        StaleElementReferenceException,
    )
    from selenium.webdriver.support.ui import WebDriverWait

    # Pages swap panels while polling and reload after a form: elements go stale.
    return WebDriverWait(
        driver,
        timeout,
        poll_frequency=0.1,
        ignored_exceptions=(
            NoSuchElementException,
            StaleElementReferenceException,
            NoSuchWindowException,
        ),
    ).until(condition)


def css(selector: str) -> Any:
    from selenium.webdriver.support import expected_conditions as ec

    return ec.presence_of_element_located(("css selector", selector))


def login(driver: Any, base: str, username: str = "editor", password: str = "pw") -> None:
    from django.urls import reverse

    driver.get(base + reverse("admin:login"))
    driver.find_element("name", "username").send_keys(username)
    driver.find_element("name", "password").send_keys(password)
    driver.find_element("css selector", "input[type=submit]").click()
    wait(driver, css("#user-tools"))


def in_popup(driver: Any, opener: str) -> str:
    """Switch to the window the page just opened; its handle."""
    wait(driver, lambda d: len(d.window_handles) > 1)
    handle = next(h for h in driver.window_handles if h != opener)
    driver.switch_to.window(handle)
    return handle


def back_from_popup(driver: Any, opener: str) -> None:
    """Wait until the popup closed itself, and go back to the page that opened it."""
    wait(driver, lambda d: len(d.window_handles) == 1)
    driver.switch_to.window(opener)
