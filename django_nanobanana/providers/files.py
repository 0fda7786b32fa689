"""Gemini Files API: resumable upload of reference images too large to send inline.

The protocol, as the official SDK speaks it (``google/genai/_extra_utils.py``
``prepare_resumable_upload`` and ``_api_client.py`` ``_upload_fd``):

1. ``POST {BASE_URL}/upload/{API_VERSION}/files`` with ``X-Goog-Upload-Protocol:
   resumable``, ``X-Goog-Upload-Command: start``, ``X-Goog-Upload-Header-Content-Length``
   and ``-Content-Type``, body ``{"file": {"mimeType", "sizeBytes"[, "displayName"]}}``.
   The answer's ``X-Goog-Upload-URL`` header is where the bytes go. It must be on the
   provider's own host (the scheme, host and port of ``BASE_URL``, no user information);
   any other URL is refused before the key is sent anywhere.
2. ``POST {upload URL}`` with ``X-Goog-Upload-Command: upload, finalize`` and
   ``X-Goog-Upload-Offset: 0``, body the bytes. ``X-Goog-Upload-Status: final`` and a
   body ``{"file": {"name", "uri", "mimeType", "state", ...}}`` confirm it.

Images are at most tens of MB, so one chunk is enough. Files live 48 hours on Google's
side: a ``fileData`` URI is good for one generation and its immediate edits, not forever.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

import httpx

from .errors import MalformedResponseError, ProviderError

T = TypeVar("T")


class UploadingProvider(Protocol):
    """What an upload needs of its provider (a :class:`~.gemini.GeminiProvider`): named
    here so this module does not import the provider that imports it."""

    alias: str

    def api_url(self, path: str, *, upload: bool = False) -> str: ...

    def auth_headers(self) -> dict[str, str]: ...

    def http(
        self, method: str, url: str, *, headers: Mapping[str, str], **kwargs: Any
    ) -> httpx.Response: ...

    def call_with_retries(self, fn: Callable[[], T]) -> tuple[T, int]: ...

    def error_from_response(self, response: httpx.Response) -> ProviderError: ...


@dataclass(frozen=True)
class UploadedFile:
    name: str
    uri: str
    mime_type: str


def upload_file(
    provider: UploadingProvider, data: bytes, mime_type: str, display_name: str | None = None
) -> UploadedFile:
    """Upload ``data`` through the Files API of ``provider`` (with its retries); one call."""
    start_url = provider.api_url("files", upload=True)
    start_headers = {
        **provider.auth_headers(),
        "content-type": "application/json",
        "x-goog-upload-protocol": "resumable",
        "x-goog-upload-command": "start",
        "x-goog-upload-header-content-length": str(len(data)),
        "x-goog-upload-header-content-type": mime_type,
    }
    meta: dict[str, Any] = {"mimeType": mime_type, "sizeBytes": str(len(data))}
    if display_name:
        meta["displayName"] = display_name

    def exchange() -> UploadedFile:
        started = provider.http("POST", start_url, json={"file": meta}, headers=start_headers)
        _raise_for_status(provider, started)
        upload_url = started.headers.get("x-goog-upload-url")
        if not upload_url:
            raise MalformedResponseError(
                "The Files API did not return an upload URL.", provider=provider.alias
            )
        if _origin(upload_url) != _origin(start_url) or _origin(upload_url) is None:
            raise ProviderError(
                "The Files API named an upload URL on another host than BASE_URL; the "
                "upload was refused.",
                reason="UPLOAD_URL_REFUSED",
                provider=provider.alias,
            )
        finished = provider.http(
            "POST",
            upload_url,
            content=data,
            headers={
                **provider.auth_headers(),
                "x-goog-upload-command": "upload, finalize",
                "x-goog-upload-offset": "0",
                "content-length": str(len(data)),
            },
        )
        _raise_for_status(provider, finished)
        if finished.headers.get("x-goog-upload-status") != "final":
            raise MalformedResponseError(
                "The Files API did not finalize the upload.", provider=provider.alias
            )
        try:
            file = finished.json()["file"]
            return UploadedFile(
                name=file["name"], uri=file["uri"], mime_type=file.get("mimeType") or mime_type
            )
        except (ValueError, KeyError, TypeError):
            raise MalformedResponseError(
                "The Files API answered without a file URI.", provider=provider.alias
            ) from None

    uploaded, _ = provider.call_with_retries(exchange)
    return uploaded


def _raise_for_status(provider: UploadingProvider, response: Any) -> None:
    if response.status_code >= 300:
        raise provider.error_from_response(response)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL without user information, else None."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or "@" in parts.netloc or not parts.hostname:
        return None
    return scheme, parts.hostname.lower().rstrip("."), port or _DEFAULT_PORTS[scheme]
