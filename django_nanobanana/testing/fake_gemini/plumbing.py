"""What every route of the handler stands on: sending JSON, reading the body, the request
log (with keys and tokens masked) and Google's plain 400 and 404 answers."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .state import FakeState, LoggedRequest
from .wire import google_error


class HandlerBase(BaseHTTPRequestHandler):
    server: FakeState  # a FakeGeminiServer
    protocol_version = "HTTP/1.1"
    _logged: LoggedRequest
    #: The fault applied to the request being answered (see :mod:`.faults`).
    _fault: dict[str, Any] | None = None

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the request log is in server.requests

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        if status == 200 and isinstance(payload, dict) and "usageMetadata" in payload:
            self.server.log_billed(
                urlsplit(self.path).path,
                payload["usageMetadata"],
                response_id=payload.get("responseId"),
            )
        self._send_raw(
            status, json.dumps(payload).encode(), "application/json; charset=UTF-8", headers
        )

    def _send_raw(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)
        self._logged.status = status

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _log(self, raw: bytes) -> LoggedRequest:
        headers = {k.lower(): v for k, v in self.headers.items()}
        if "x-goog-api-key" in headers:
            headers["x-goog-api-key"] = "[present]"
        if "authorization" in headers:
            scheme = headers["authorization"].split(" ", 1)[0]
            headers["authorization"] = f"{scheme} [present]"
        content_type = headers.get("content-type", "")
        query = parse_qs(urlsplit(self.path).query)
        if "key" in query:
            query["key"] = ["[present]"]
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            if "form-urlencoded" in content_type:
                form = parse_qs(raw.decode("utf-8", "replace"))
                body = {k: ("[present]" if k == "assertion" else v[0]) for k, v in form.items()}
            elif content_type.startswith(("text/", "application/json")):
                body = raw[:200].decode("utf-8", "replace")
            else:
                body = {"bytes": len(raw)}
        entry = LoggedRequest(self.command, urlsplit(self.path).path, headers, body, query=query)
        with self.server.lock:
            self.server.requests.append(entry)
        return entry

    def _invalid(self, message: str) -> None:
        self._send_json(400, google_error(400, "INVALID_ARGUMENT", message))

    def _not_found(self, model_id: str) -> None:
        version = urlsplit(self.path).path.split("/")[1]
        self._send_json(
            404,
            google_error(
                404,
                "NOT_FOUND",
                f"models/{model_id} is not found for API version {version}, or is not "
                "supported for generateContent. Call ListModels to see the list of "
                "available models and their supported methods.",
            ),
        )
