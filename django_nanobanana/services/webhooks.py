"""Signed webhooks: tell a frontend when a version it asked for is finished.

A request may name a ``webhook_url``; it must match one of
``NANOBANANA["WEBHOOKS"]["ALLOWED_URLS"]`` (checked at the edge): URLs are parsed, never
compared as strings, and must have the same scheme, host and port as an entry and a path
under the entry's path; user information (``user@host``) is refused. Delivery resolves the
host, refuses it if any address is private, loopback, link-local or otherwise not global
(unless the matching entry names that address itself or ``ALLOWED_NETWORKS`` contains
it), and connects to the address it checked (Host header and TLS name kept), so a DNS
answer that changes between the check and the connection cannot redirect it. When the
version reaches a final state, a separate django-q2 task POSTs a JSON body with two
headers::

    X-Nanobanana-Timestamp: 1795311793
    X-Nanobanana-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the secret>

Receivers recompute the HMAC and reject old timestamps (replays). Delivery is retried with
exponential backoff and jitter (tenacity) within a short deadline; it never blocks or
fails the generation itself.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import os
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import tenacity
from django.utils.translation import gettext as _

from ..conf import nanobanana_settings
from ..exceptions import RequestValidationError
from . import queue

logger = logging.getLogger(__name__)


def _config() -> dict[str, Any]:
    return nanobanana_settings.WEBHOOKS


def secret() -> str | None:
    config = _config()
    if config.get("SECRET"):
        return str(config["SECRET"])
    env = config.get("SECRET_ENV")
    return os.environ.get(env) if env else None


class _RetryableDelivery(Exception):
    pass


_DEFAULT_PORTS = {"http": 80, "https": 443}
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class WebhookURL:
    """A webhook URL taken apart: what is compared, and what is connected to."""

    scheme: str
    host: str  # lower case, IDNA-encoded, no trailing dot; IPv6 without brackets
    port: int
    path: str  # as written (percent-encoded), "" for none
    query: str

    @property
    def ip(self) -> IPAddress | None:
        """The host when it is an address literal."""
        try:
            return ipaddress.ip_address(self.host)
        except ValueError:
            return None

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == _DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"

    def under(self, allowed: WebhookURL) -> bool:
        """Same scheme, host and port as ``allowed``, path at or below its path."""
        if (self.scheme, self.host, self.port) != (allowed.scheme, allowed.host, allowed.port):
            return False
        base = allowed.path.rstrip("/")
        return not base or self.path == base or self.path.startswith(base + "/")


def parse_webhook_url(url: str) -> WebhookURL:
    """Parse an http(s) URL strictly; ValueError (with the reason) when it is not one."""
    if not isinstance(url, str) or not url:
        raise ValueError(_("not a URL"))
    if any(ch.isspace() or ord(ch) < 32 or ch == "\\" for ch in url):
        raise ValueError(_("spaces, control characters and backslashes are not allowed"))
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(_("the scheme must be http or https"))
    if "@" in parts.netloc:
        raise ValueError(_("user names and passwords are not allowed in the URL"))
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise ValueError(_("the URL has no host"))
    try:
        port = parts.port
    except ValueError:
        raise ValueError(_("the port is not a number from 0 to 65535")) from None
    if parts.netloc.endswith(":"):
        raise ValueError(_("the port is empty"))
    try:
        ipaddress.ip_address(host)
    except ValueError:
        try:
            host = host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            raise ValueError(_("the host name is not valid")) from None
    if any(unquote(segment) in (".", "..") for segment in parts.path.split("/")):
        raise ValueError(_("'.' and '..' path segments are not allowed"))
    return WebhookURL(
        scheme=scheme,
        host=host,
        port=port or _DEFAULT_PORTS[scheme],
        path=parts.path,
        query=parts.query,
    )


def _allowed_entries() -> list[WebhookURL]:
    entries = []
    for entry in _config().get("ALLOWED_URLS") or ():
        try:
            entries.append(parse_webhook_url(str(entry)))
        except ValueError:
            continue  # reported by the system check (nanobanana.E011)
    return entries


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks = []
    for entry in _config().get("ALLOWED_NETWORKS") or ():
        try:
            networks.append(ipaddress.ip_network(str(entry), strict=False))
        except ValueError:
            continue  # reported by the system check
    return networks


def allow_list_errors() -> list[str]:
    """What is wrong with ``ALLOWED_URLS`` / ``ALLOWED_NETWORKS`` (for the system check)."""
    problems = []
    for entry in _config().get("ALLOWED_URLS") or ():
        try:
            parse_webhook_url(str(entry))
        except ValueError as exc:
            problems.append(f"ALLOWED_URLS entry {entry!r} is not usable: {exc}.")
    for entry in _config().get("ALLOWED_NETWORKS") or ():
        try:
            ipaddress.ip_network(str(entry), strict=False)
        except ValueError:
            problems.append(f"ALLOWED_NETWORKS entry {entry!r} is not an address or network.")
    return problems


def _matching_entry(parsed: WebhookURL) -> WebhookURL | None:
    return next((entry for entry in _allowed_entries() if parsed.under(entry)), None)


def validate_webhook_url(url: str | None) -> str | None:
    """The URL if it is allowed (and a secret is configured to sign with), else a 400."""
    if not url:
        return None
    allowed = [str(entry) for entry in _config().get("ALLOWED_URLS") or ()]
    try:
        parsed = parse_webhook_url(url)
    except ValueError as exc:
        raise RequestValidationError(
            {"webhook_url": [_("This webhook URL is not allowed: %(reason)s.") % {"reason": exc}]}
        ) from None
    if _matching_entry(parsed) is None:
        raise RequestValidationError(
            {
                "webhook_url": [
                    _(
                        "This webhook URL is not allowed; it must have the scheme, host and port "
                        "of one of: %(allowed)s."
                    )
                    % {"allowed": ", ".join(allowed) or _("none configured")}
                ]
            }
        )
    if not secret():
        raise RequestValidationError(
            {"webhook_url": [_("Webhooks are not configured on this site (no signing secret).")]}
        )
    return url


class WebhookRefused(Exception):
    """Delivery to this URL is not allowed (not on the allow-list, or a private address)."""


def _unmapped(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _resolve(parsed: WebhookURL) -> list[IPAddress]:
    if parsed.ip is not None:
        return [parsed.ip]
    try:
        infos = socket.getaddrinfo(parsed.host, parsed.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise _RetryableDelivery(f"cannot resolve {parsed.host}: {exc}") from None
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def checked_addresses(parsed: WebhookURL) -> list[IPAddress]:
    """Every address ``parsed.host`` resolves to, if each may receive webhooks.

    An address that is not global (private, loopback, link-local, shared, reserved,
    multicast, unspecified) is refused unless the allow-list entry the URL matches names
    that very address, or ``ALLOWED_NETWORKS`` contains it. One refused address refuses
    the URL. Raises :class:`WebhookRefused`.
    """
    entry = _matching_entry(parsed)
    if entry is None:
        raise WebhookRefused(f"{parsed.scheme}://{parsed.host_header} is not on the allow-list")
    named = _unmapped(entry.ip) if entry.ip is not None else None
    networks = _allowed_networks()
    addresses = _resolve(parsed)
    if not addresses:
        raise _RetryableDelivery(f"{parsed.host} has no address")
    for address in addresses:
        plain = _unmapped(address)
        if plain.is_global and not plain.is_multicast:
            continue
        if plain == named or any(plain in net for net in networks if net.version == plain.version):
            continue
        raise WebhookRefused(
            f"{parsed.host} resolves to {plain}, a non-public address the allow-list does not name"
        )
    return addresses


def _pinned_url(parsed: WebhookURL, address: IPAddress) -> str:
    host = f"[{address}]" if address.version == 6 else str(address)
    query = f"?{parsed.query}" if parsed.query else ""
    return f"{parsed.scheme}://{host}:{parsed.port}{parsed.path or '/'}{query}"


def _send(
    parsed: WebhookURL,
    addresses: Iterable[IPAddress],
    *,
    content: bytes,
    headers: dict[str, str],
    timeout: float,
) -> httpx.Response:
    """POST to the first checked address that accepts a connection (never re-resolving)."""
    last: Exception | None = None
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        for address in addresses:
            try:
                return client.post(
                    _pinned_url(parsed, address),
                    content=content,
                    headers={**headers, "host": parsed.host_header},
                    extensions={"sni_hostname": parsed.host} if parsed.scheme == "https" else {},
                )
            except httpx.ConnectError as exc:
                last = exc
    raise last or httpx.ConnectError("no address")


def sign(body: bytes, timestamp: int, key: str) -> str:
    mac = hmac.new(key.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(body: bytes, timestamp: str, signature: str, key: str, *, tolerance: int = 300) -> bool:
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


def deliver(version: Any) -> bool:
    """POST the signed event; True when the receiver answered 2xx.

    The URL is checked again (allow-list and resolved addresses) before every attempt:
    the settings may have changed since the request, and DNS answers do.
    """
    url = (version.params or {}).get("webhook_url")
    key = secret()
    if not url or not key:
        return False
    try:
        parsed = parse_webhook_url(url)
    except ValueError as exc:
        logger.warning("webhook for version %s refused: %s", version.pk, exc)
        return False
    config = _config()
    body = json.dumps(payload(version), separators=(",", ":")).encode()

    @tenacity.retry(
        retry=tenacity.retry_if_exception_type(_RetryableDelivery),
        wait=tenacity.wait_random_exponential(multiplier=float(config.get("BACKOFF", 1.0)), max=30),
        stop=tenacity.stop_after_attempt(int(config.get("MAX_ATTEMPTS", 5)))
        | tenacity.stop_after_delay(float(config.get("DEADLINE_SECONDS", 120))),
        reraise=True,
    )
    def _post() -> None:
        addresses = checked_addresses(parsed)
        timestamp = int(time.time())
        try:
            response = _send(
                parsed,
                addresses,
                content=body,
                timeout=float(config.get("TIMEOUT", 5)),
                headers={
                    "content-type": "application/json",
                    "x-nanobanana-timestamp": str(timestamp),
                    "x-nanobanana-signature": sign(body, timestamp, key),
                    "user-agent": "django-nanobanana-webhook",
                },
            )
        except httpx.TransportError as exc:
            raise _RetryableDelivery(type(exc).__name__) from None
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise _RetryableDelivery(f"HTTP {response.status_code}")
        if response.status_code >= 300:
            raise ValueError(f"HTTP {response.status_code}")

    try:
        _post()
    except WebhookRefused as exc:
        logger.warning("webhook for version %s refused: %s", version.pk, exc)
        return False
    except (_RetryableDelivery, ValueError) as exc:
        logger.warning("webhook for version %s to %s failed: %s", version.pk, url, exc)
        return False
    return True


def on_version_finished(sender: Any, version: Any, **kwargs: Any) -> None:
    """Signal receiver: queue the delivery as its own task (never inline)."""
    if (version.params or {}).get("webhook_url"):
        queue.enqueue(queue.DELIVER_WEBHOOK, version.pk)
