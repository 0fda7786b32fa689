"""Helpers the tests share (fixtures live in the ``conftest.py`` files, helpers here).

The imaging tests also run without Django's app registry (``pytest -p no:django
tests/imaging``), so the helpers that touch the database import Django's models and the
project's services when called, not when this module is imported.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import socket
import struct
import time
import uuid
import zlib
from decimal import Decimal
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFilter

UTC = dt.UTC
#: The REST API's mount point in ``tests.urls``.
API = "/api/nanobanana"


# -- services and files ----------------------------------------------------------------------
def require_service(name: str, reason: str) -> None:
    """Skip a test whose service is missing, but fail under CI=true."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: required)")
    pytest.skip(reason)


def free_port() -> int:
    """A TCP port free on the loopback interface right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def accepts(port: int, timeout: float = 0.3) -> bool:
    """Something listens on ``port`` of the loopback interface."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for(
    predicate: Any, timeout: float = 60.0, message: str = "timed out", *, interval: float = 0.05
) -> None:
    """Poll ``predicate`` until it is true; fail with ``message`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(message)


def stored_files(root) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(d, f), root) for d, _, files in os.walk(root) for f in files
    )


# -- images ----------------------------------------------------------------------------------
def image_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as im:
        return im.size


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def png(width: int = 96, height: int = 64, colour: str = "#3377aa") -> bytes:
    """A flat-coloured PNG."""
    return encode(Image.new("RGB", (width, height), colour), "PNG")


def png_bytes(size: tuple[int, int] = (64, 48), color: str = "red") -> bytes:
    return png(*size, colour=color)


def make_photo(
    width: int, height: int, seed: int = 0, *, blur: bool = True, blobs: int = 40
) -> Image.Image:
    """Deterministic photo-like RGB content: sky gradient, blobs, grain (also the
    benchmarks' test image)."""
    rng = random.Random(seed)
    sky = Image.linear_gradient("L").resize((width, height))
    image = Image.merge(
        "RGB",
        (
            sky.point(lambda v: 40 + v // 3),
            sky.point(lambda v: 90 + v // 3),
            sky.point(lambda v: 200 - v // 4),
        ),
    )
    draw = ImageDraw.Draw(image)
    for _ in range(blobs):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(max(2, width // 40), max(3, width // 6))
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse((x - r, y - r // 2, x + r, y + r // 2), fill=colour)
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(max(1, width // 400)))
    grain = Image.frombytes("L", (width, height), rng.randbytes(width * height))
    return Image.blend(image, Image.merge("RGB", (grain, grain, grain)), 0.06)


def make_hard_background(kind: str, width: int, height: int) -> Image.Image:
    """Backgrounds that defeat a fixed text colour (for the legibility tests).

    ``stripes``: white with light pastel stripes; ``busy``: an unblurred photo-like
    texture with light diagonal stripes over it; ``split``: light left half, dark right
    half, the seam under the text; ``white`` and ``black``: flat.
    """
    if kind == "white":
        return Image.new("RGB", (width, height), (255, 255, 255))
    if kind == "black":
        return Image.new("RGB", (width, height), (0, 0, 0))
    if kind == "split":
        image = Image.new("RGB", (width, height), (245, 240, 230))
        ImageDraw.Draw(image).rectangle((width // 2, 0, width, height), fill=(12, 14, 20))
        return image
    if kind == "stripes":
        image = Image.new("RGB", (width, height), (255, 255, 255))
        base = make_photo(width, height, seed=3)
    elif kind == "busy":
        image = make_photo(width, height, seed=11, blur=False)
        base = image
    else:
        raise ValueError(kind)
    draw = ImageDraw.Draw(image)
    step = max(6, width // 40)
    colours = [(230, 236, 250), (250, 240, 200), (255, 220, 230), (220, 250, 230)]
    for index, x in enumerate(range(-height, width, step)):
        draw.line((x, height, x + height, 0), fill=colours[index % 4], width=max(2, step // 3))
    if kind == "stripes":
        return image
    return Image.blend(base, image, 0.0) if base is image else image


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


def crafted_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width`` x ``height`` (valid CRCs)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


# -- users and the REST API (database) -------------------------------------------------------
def make_user(username: str, *, staff: bool = False, perms: tuple[str, ...] = ()) -> Any:
    """A user holding exactly ``perms`` (``"app_label.codename"``)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    user = get_user_model().objects.create_user(username, password="pw", is_staff=staff)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return get_user_model().objects.get(pk=user.pk)  # fresh permission cache


def client_for(user: Any):
    """A DRF test client authenticated with ``user``'s token (anonymous for None)."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


# -- assets (database, media folder) ---------------------------------------------------------
def add_version(asset, *, state: str = "succeeded", prompt: str = "again", user: Any = None):
    """A new version of ``asset`` made in the admin; a succeeded one with a stored PNG."""
    from django.core.files.base import ContentFile

    from django_nanobanana.models import AssetVersion, State
    from django_nanobanana.storage import get_storage

    version = AssetVersion(
        asset=asset,
        source="admin",
        prompt=prompt,
        provider="gemini",
        model="gemini-nano-banana-2.1",
        image_size="1K",
        state=state,
        created_by=user,
    )
    if state == State.SUCCEEDED:
        version.original = get_storage().save(
            f"nanobanana/test/{asset.pk}-2.png", ContentFile(png(colour="#aa3300"))
        )
        version.width, version.height, version.mime_type = 96, 64, "image/png"
        version.cost = Decimal("0.039")
    version.save()
    return version


# -- budgets (database) ----------------------------------------------------------------------
def make_budget(**kwargs: Any):
    from django_nanobanana.models import Budget

    kwargs.setdefault("name", f"{kwargs.get('scope', 'site')}-{kwargs.get('period', 'day')}")
    kwargs.setdefault("period", "day")
    kwargs.setdefault("scope", "site")
    budget = Budget(**kwargs)
    budget.full_clean()
    budget.save()
    return budget


def try_reserve(
    user: Any,
    amount: str | Decimal,
    *,
    images: int = 1,
    now: dt.datetime | None = None,
    version_id: uuid.UUID | None = None,
    model: str = "gemini-nano-banana-2.1",
):
    """Reserve as the service layer does: inside the transaction creating the version.
    Returns the Reservation or the BudgetExceeded."""
    from django.db import transaction

    from django_nanobanana import ledger

    try:
        with transaction.atomic():
            return ledger.reserve(
                version_id=version_id or uuid.uuid4(),
                user=user,
                amount=Decimal(amount),
                images=images,
                source="api",
                model=model,
                now=now,
            )
    except ledger.BudgetExceeded as exc:
        return exc


def suggested_description(version: Any, alt_text: dict[str, str]) -> Any:
    """A finished, unreviewed alt-text suggestion for ``version`` (as the text model's)."""
    from django_nanobanana.models import DescriptionState, ImageDescription

    return ImageDescription.objects.create(
        version=version,
        provider="gemini",
        model="gemini-3.1-flash-lite",
        languages=list(alt_text),
        state=DescriptionState.SUCCEEDED,
        alt_text=alt_text,
    )
