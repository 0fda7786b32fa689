"""``models.list`` (``GET /v1beta/models``), paginated with ``pageSize`` and
``nextPageToken``, leaving out the ids in :attr:`.FakeState.unlisted`."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from .. import fake_models
from .plumbing import HandlerBase


class ListingMixin(HandlerBase):
    def _list_models(self) -> None:
        query = parse_qs(urlsplit(self.path).query)
        try:
            size = int((query.get("pageSize") or ["50"])[0])
            offset = int((query.get("pageToken") or ["0"])[0] or 0)
        except ValueError:
            self._invalid("Invalid page token or page size.")
            return
        size = max(1, min(size, self.server.models_page_size, 1000))
        entries = [
            e
            for e in fake_models.listing()
            if e["name"].removeprefix("models/") not in self.server.unlisted
        ]
        page = entries[offset : offset + size]
        payload: dict[str, Any] = {"models": page}
        if offset + size < len(entries):
            payload["nextPageToken"] = str(offset + size)
        self._send_json(200, payload)
