"""Signed webhooks: tell a frontend when a version it asked for is finished.

A request may name a ``webhook_url``; it must start with one of
``NANOBANANA["WEBHOOKS"]["ALLOWED_URLS"]`` (checked at the edge). When the version reaches
a final state, a separate django-q2 task POSTs a JSON body with two headers::

    X-Nanobanana-Timestamp: 1795311793
    X-Nanobanana-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the secret>

Receivers recompute the HMAC and reject old timestamps (replays). Delivery is retried with
exponential backoff and jitter (tenacity) within a short deadline; it never blocks or
fails the generation itself.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import time
from typing import Any

import httpx
import tenacity
from django.utils.translation import gettext as _

from ..conf import nanobanana_settings
from ..exceptions import RequestValidationError

logger = logging.getLogger(__name__)


def _config() -> dict[str, Any]:
    return nanobanana_settings.WEBHOOKS


def secret() -> str | None:
    config = _config()
    if config.get("SECRET"):
        return str(config["SECRET"])
    env = config.get("SECRET_ENV")
    return os.environ.get(env) if env else None


def validate_webhook_url(url: str | None) -> str | None:
    """The URL if it is allowed (and a secret is configured to sign with), else a 400."""
    if not url:
        return None
    allowed = [str(prefix) for prefix in _config().get("ALLOWED_URLS") or ()]
    if not any(url.startswith(prefix) for prefix in allowed):
        raise RequestValidationError({"webhook_url": [
            _("This webhook URL is not allowed; allowed prefixes: %(allowed)s.")
            % {"allowed": ", ".join(allowed) or _("none configured")}
        ]})
    if not secret():
        raise RequestValidationError({"webhook_url": [
            _("Webhooks are not configured on this site (no signing secret).")]})
    return url


def sign(body: bytes, timestamp: int, key: str) -> str:
    mac = hmac.new(key.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(body: bytes, timestamp: str, signature: str, key: str, *, tolerance: int = 300
           ) -> bool:
    """For receivers (and tests): a valid signature on a recent timestamp."""
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    if abs(time.time() - ts) > tolerance:
        return False
    return hmac.compare_digest(sign(body, ts, key), signature)


def payload(version: Any) -> dict[str, Any]:
    return {
        "event": "version.finished",
        "asset": str(version.asset_id),
        "version": str(version.pk),
        "state": version.state,
        "reason": version.error or None,
        "cost": str(version.cost) if version.cost is not None else None,
        "finished_at": version.finished_at.isoformat() if version.finished_at else None,
    }


class _RetryableDelivery(Exception):
    pass


def deliver(version: Any) -> bool:
    """POST the signed event; True when the receiver answered 2xx."""
    url = (version.params or {}).get("webhook_url")
    key = secret()
    if not url or not key:
        return False
    config = _config()
    body = json.dumps(payload(version), separators=(",", ":")).encode()

    @tenacity.retry(
        retry=tenacity.retry_if_exception_type(_RetryableDelivery),
        wait=tenacity.wait_random_exponential(multiplier=float(config.get("BACKOFF", 1.0)),
                                              max=30),
        stop=tenacity.stop_after_attempt(int(config.get("MAX_ATTEMPTS", 5)))
        | tenacity.stop_after_delay(float(config.get("DEADLINE_SECONDS", 120))),
        reraise=True,
    )
    def _post() -> None:
        timestamp = int(time.time())
        try:
            response = httpx.post(url, content=body, timeout=float(config.get("TIMEOUT", 5)),
                                  headers={"content-type": "application/json",
                                           "x-nanobanana-timestamp": str(timestamp),
                                           "x-nanobanana-signature": sign(body, timestamp, key),
                                           "user-agent": "django-nanobanana-webhook"})
        except httpx.TransportError as exc:
            raise _RetryableDelivery(type(exc).__name__) from None
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise _RetryableDelivery(f"HTTP {response.status_code}")
        if response.status_code >= 300:
            raise ValueError(f"HTTP {response.status_code}")

    try:
        _post()
    except (_RetryableDelivery, ValueError) as exc:
        logger.warning("webhook for version %s to %s failed: %s", version.pk, url, exc)
        return False
    return True


def on_version_finished(sender: Any, version: Any, **kwargs: Any) -> None:
    """Signal receiver: queue the delivery as its own task (never inline)."""
    if (version.params or {}).get("webhook_url"):
        from ..tasks import enqueue_webhook

        enqueue_webhook(version.pk)
