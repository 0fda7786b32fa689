"""The request handler: routes each verb and path to its section of the fake."""

from __future__ import annotations

from urllib.parse import urlsplit

from .batch import BatchMixin
from .listing import ListingMixin
from .openai_images import OpenAIMixin
from .wire import (
    BATCH,
    BATCH_CREATE,
    GENERATE,
    MAX_REQUEST_BYTES,
    MODELS,
    NOT_JSON,
    OPENAI,
    TOKEN,
    UPLOAD,
    VERTEX,
    google_error,
    load_json,
)


class Handler(BatchMixin, OpenAIMixin, ListingMixin):
    def do_GET(self) -> None:
        raw = self._read_body()
        self._logged = self._log(raw)
        path = urlsplit(self.path).path
        if path in ("/", "/health"):
            self._send_json(200, {"status": "ok", "fake": "gemini"})
            return
        match = BATCH.match(path)
        if match and not match.group("cancel"):
            if self._check_key():
                self._batch_get(match.group("name"))
            return
        if MODELS.match(path):
            if self._check_key():
                self._list_models()
            return
        self._send_json(404, google_error(404, "NOT_FOUND", f"Unknown path {path}"))

    def do_POST(self) -> None:
        raw = self._read_body()
        self._logged = self._log(raw)
        path = urlsplit(self.path).path
        if len(raw) > MAX_REQUEST_BYTES and not UPLOAD.match(path):
            self._invalid(f"Request payload size exceeds the limit: {MAX_REQUEST_BYTES} bytes.")
            return
        try:
            self._route(path, raw)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            self.close_connection = True

    def _route(self, path: str, raw: bytes) -> None:
        if path == TOKEN:
            self._token(raw)
            return
        if UPLOAD.match(path):
            self._upload(raw)
            return
        if path == OPENAI:
            self._openai(raw)
            return
        batch_create, batch = BATCH_CREATE.match(path), BATCH.match(path)
        if batch_create or (batch and batch.group("cancel")):
            if not self._check_key():
                return
            if batch_create:
                self._batch_create(batch_create.group("model"), raw)
            else:
                self._batch_cancel(batch.group("name"))
            return
        match = GENERATE.match(path) or VERTEX.match(path)
        if not match:
            self._send_json(404, google_error(404, "NOT_FOUND", f"Unknown path {path}"))
            return
        self.server.hold()
        if "project" in match.groupdict():
            if not self._check_bearer():
                return
        elif not self._check_key():
            return
        if self._apply_fault("generate", "google"):
            return
        body = load_json(raw)
        if body is NOT_JSON:
            self._invalid("Invalid JSON payload received. Unexpected token.")
            return
        self._logged.body = body
        self._generate(match.group("model"), body)
