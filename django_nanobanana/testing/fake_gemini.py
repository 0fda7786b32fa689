"""A fake Gemini API server on loopback that speaks the real wire format.

It validates requests the way Google does (key, model, aspect ratio, image size), answers
with a real, deterministic image of the right pixel size, realistic ``usageMetadata``, a
``responseId`` and ``modelVersion``, and keeps a log of what it saw. Run it standalone::

    python -m django_nanobanana.testing.fake_gemini --port 8765 --api-key fake-key

or use the ``fake_gemini`` pytest fixture (``django_nanobanana.testing.pytest_plugin``).

Besides the Developer API it serves the Vertex AI path (``/v1beta1/projects/{p}/locations/
{l}/publishers/google/models/{m}:generateContent``, bearer tokens from its own OAuth token
endpoint ``POST /token``), an OpenAI-compatible ``POST /v1/images/generations``, and the
Files API resumable upload (``POST /upload/v1beta/files``), the Batch API and
``models.list`` (``GET /v1beta/models``, paginated with ``pageSize``/``nextPageToken``).

Its model table (:mod:`.fake_models`) is its own, written from Google's documentation and
never imported from the package's registry, so a wrong registry entry fails a test. Shut
down ids answer 404 ``NOT_FOUND`` as Google's do; every answer carries ``modelStatus``;
``tools: [{"googleSearch": ...}]`` is answered with ``groundingMetadata``.

Faults
------
A script of faults, each consumed by one generation request in order (then normal
answers again)::

    server.add_faults([
        {"status": 429, "retry_delay": "7s", "retry_after": 3},  # RetryInfo, Retry-After
        {"status": 429, "quota": "per_day"},                     # QuotaFailure per day
        {"status": 503}, {"status": 502, "body": "<html>Bad gateway</html>"},  # non-JSON
        {"kind": "reset"},                  # connection reset before any answer
        {"kind": "hang", "seconds": 5},     # answer only after 5 s
        {"kind": "malformed_json"},         # 200 with a body cut mid-JSON
        {"kind": "truncated_base64"},       # 200 whose image is cut short
        {"kind": "no_image", "finish_reason": "NO_IMAGE"},  # 200, text only
        {"kind": "block", "block_reason": "SAFETY"},        # promptFeedback.blockReason
        {"kind": "finish", "finish_reason": "IMAGE_SAFETY"},  # candidate without image
    ])

Billing log: ``server.billed`` lists every answer the server "billed": each HTTP 200
generation answer and each Batch API result, as ``{"path", "usage", "batch",
"response_id"}`` with ``usage`` the ``usageMetadata`` it sent (``None`` for a
``malformed_json`` 200, billed but unreadable). Tests price it themselves.

``"repeat": n`` consumes the same fault n times; ``"target": "upload"`` or ``"token"``
aims a fault at the Files API or the token endpoint instead of generation. From the
command line: ``--faults '[{"status": 503}]'`` or ``--faults @faults.json``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import re
import socket
import struct
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from PIL import Image, ImageDraw

from . import fake_models

DEFAULT_API_KEY = "fake-gemini-key"
_GENERATE = re.compile(
    r"^/(?P<version>v1beta|v1)/models/(?P<model>[^/:]+):(?P<method>generateContent)$"
)
_VERTEX = re.compile(
    r"^/(?P<version>v1beta1|v1)/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
    r"/publishers/google/models/(?P<model>[^/:]+):(?P<method>generateContent)$"
)
_OPENAI = "/v1/images/generations"
_UPLOAD = re.compile(r"^/upload/(?P<version>v1beta|v1)/files$")
_TOKEN = "/token"  # noqa: S105 - a path, not a password
_MODELS = re.compile(r"^/(?P<version>v1beta|v1)/models/?$")
#: Google's inline request limit on the Developer API (100 MB since 2026-01-08).
MAX_REQUEST_BYTES = 100 * 1024 * 1024
_BATCH_CREATE = re.compile(
    r"^/(?P<version>v1beta|v1)/models/(?P<model>[^/:]+):batchGenerateContent$"
)
_BATCH = re.compile(
    r"^/(?P<version>v1beta|v1)/(?P<name>batches/[A-Za-z0-9_-]+)(?P<cancel>:cancel)?$"
)
FAULT_KINDS = (
    "status",
    "reset",
    "hang",
    "malformed_json",
    "truncated_base64",
    "no_image",
    "block",
    "finish",
)
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


@dataclass
class LoggedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int = 0
    at: float = field(default_factory=time.time)
    query: dict[str, list[str]] = field(default_factory=dict)
    #: The fault applied to this request, if any.
    fault: dict[str, Any] | None = None


class FakeGeminiServer(ThreadingHTTPServer):
    """The server; its attributes are the knobs tests turn."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int] = ("127.0.0.1", 0),
        *,
        api_key: str = DEFAULT_API_KEY,
        latency: float = 0.0,
        image_format: str = "PNG",
    ) -> None:
        super().__init__(address, _Handler)
        self.api_key = api_key
        self.latency = latency
        self.image_format = image_format
        self.requests: list[LoggedRequest] = []
        self.faults: deque[dict[str, Any]] = deque()
        self.lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        #: Files uploaded through the Files API, by name ("files/abc"): metadata + bytes.
        self.files: dict[str, dict[str, Any]] = {}
        self._uploads: dict[str, dict[str, Any]] = {}
        #: OAuth access tokens issued by the token endpoint (accepted on Vertex paths).
        self.tokens: set[str] = set()
        #: Batch jobs by name ("batches/abc"). A job answers RUNNING to this many polls,
        #: then SUCCEEDED with its results; None keeps it running forever (timeouts).
        self.batches: dict[str, dict[str, Any]] = {}
        self.batch_polls_to_finish: int | None = 1
        #: Every billed answer (see the module doc): what a ledger must add up to.
        self.billed: list[dict[str, Any]] = []
        #: models.list: the largest page it answers, and ids it leaves out (as if this key
        #: could not call them).
        self.models_page_size = 50
        self.unlisted: set[str] = set()
        #: Embed a signed C2PA manifest in every generated image, as Google does (needs
        #: ``c2pa-python``; off by default because signing costs a few milliseconds).
        self.c2pa = False
        #: When set, every generated image is these bytes (e.g. a realistic 25 MB 4K PNG for
        #: memory benchmarks) instead of a drawn one; its format sets the MIME type.
        self.image_bytes: bytes | None = None

    def image_for(
        self, prompt: str, width: int, height: int, seed: Any = None
    ) -> tuple[bytes, str]:
        """The image of one answer and its MIME type."""
        if self.image_bytes is not None:
            jpeg = self.image_bytes[:3] == b"\xff\xd8\xff"
            return self.image_bytes, "image/jpeg" if jpeg else "image/png"
        image = make_image(prompt, width, height, self.image_format, seed=seed)
        return image, "image/jpeg" if self.image_format.upper() == "JPEG" else "image/png"

    def log_billed(
        self, path: str, usage: Any, *, batch: bool = False, response_id: str | None = None
    ) -> None:
        with self.lock:
            self.billed.append(
                {"path": path, "usage": usage, "batch": batch, "response_id": response_id}
            )

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeGeminiServer:
        self._thread = threading.Thread(
            target=self.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name="fake-gemini",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes hanging handlers
        self.shutdown()
        self.server_close()

    def add_faults(self, faults: Iterable[dict[str, Any]]) -> None:
        """Queue faults; each is consumed by one request (of its ``target``) in order."""
        with self.lock:
            for fault in faults:
                fault = dict(fault)
                kind = fault.setdefault("kind", "status" if "status" in fault else None)
                if kind not in FAULT_KINDS:
                    raise ValueError(f"unknown fault {fault!r}; kinds: {', '.join(FAULT_KINDS)}")
                if kind == "status" and "status" not in fault:
                    raise ValueError(f"a status fault needs a status: {fault!r}")
                fault.setdefault("target", "generate")
                for _ in range(int(fault.pop("repeat", 1))):
                    self.faults.append(dict(fault))

    def take_fault(self, target: str) -> dict[str, Any] | None:
        with self.lock:
            for index, fault in enumerate(self.faults):
                if fault["target"] == target:
                    del self.faults[index]
                    return fault
        return None

    def generate_requests(self) -> list[LoggedRequest]:
        """The logged image generation calls (Developer API, Vertex, OpenAI-compatible);
        calls to text models are in :meth:`text_requests`."""
        with self.lock:
            return [
                r
                for r in self.requests
                if (r.path.endswith(":generateContent") and not _is_text_call(r.path))
                or r.path == _OPENAI
            ]

    def text_requests(self) -> list[LoggedRequest]:
        """The logged generateContent calls to text models (describing images)."""
        with self.lock:
            return [
                r
                for r in self.requests
                if r.path.endswith(":generateContent") and _is_text_call(r.path)
            ]

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.faults.clear()
            self.billed.clear()


def _is_text_call(path: str) -> bool:
    model = path.rsplit("/models/", 1)[-1].split(":", 1)[0]
    return model in fake_models.TEXT_SERVED


def google_error(code: int, status: str, message: str, details: list | None = None) -> dict:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = details
    return {"error": error}


def make_image(prompt: str, width: int, height: int, fmt: str = "PNG", seed: Any = None) -> bytes:
    """A deterministic, photo-ish image for a prompt: a two-colour gradient and shapes."""
    digest = hashlib.sha256(f"{prompt}|{seed}".encode()).digest()
    top = tuple(digest[0:3])
    bottom = tuple(digest[3:6])
    small = Image.new("RGB", (1, 2))
    small.putpixel((0, 0), top)
    small.putpixel((0, 1), bottom)
    image = small.resize((width, height), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(image)
    for i in range(6):
        b = digest[6 + i * 4 : 10 + i * 4]
        cx, cy = b[0] / 255 * width, b[1] / 255 * height
        r = (0.05 + b[2] / 255 * 0.2) * min(width, height)
        colour = tuple(digest[(i * 3) % 29 : (i * 3) % 29 + 3])
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
    out = io.BytesIO()
    if fmt.upper() == "JPEG":
        image.save(out, "JPEG", quality=85)
    else:
        image.save(out, "PNG", compress_level=1)
    return out.getvalue()


def _estimate_text_tokens(text: str) -> int:
    return max(1, len(text) // 4)


class _Handler(BaseHTTPRequestHandler):
    server: FakeGeminiServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the request log is in server.requests

    # -- plumbing ----------------------------------------------------------------------------
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

    def _api_key(self) -> str | None:
        key = self.headers.get("x-goog-api-key")
        if key is None:
            query = parse_qs(urlsplit(self.path).query)
            key = (query.get("key") or [None])[0]
        return key

    # -- verbs -----------------------------------------------------------------------------
    def do_GET(self) -> None:
        raw = self._read_body()
        self._logged = self._log(raw)
        path = urlsplit(self.path).path
        if path in ("/", "/health"):
            self._send_json(200, {"status": "ok", "fake": "gemini"})
            return
        match = _BATCH.match(path)
        if match and not match.group("cancel"):
            if self._check_key():
                self._batch_get(match.group("name"))
            return
        if _MODELS.match(path):
            if self._check_key():
                self._list_models()
            return
        self._send_json(404, google_error(404, "NOT_FOUND", f"Unknown path {path}"))

    def do_POST(self) -> None:
        raw = self._read_body()
        self._logged = self._log(raw)
        path = urlsplit(self.path).path
        if len(raw) > MAX_REQUEST_BYTES and not _UPLOAD.match(path):
            self._invalid(f"Request payload size exceeds the limit: {MAX_REQUEST_BYTES} bytes.")
            return
        try:
            self._route(path, raw)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            self.close_connection = True

    def _route(self, path: str, raw: bytes) -> None:
        if path == _TOKEN:
            self._token(raw)
            return
        if _UPLOAD.match(path):
            self._upload(raw)
            return
        if path == _OPENAI:
            self._openai(raw)
            return
        batch_create, batch = _BATCH_CREATE.match(path), _BATCH.match(path)
        if batch_create or (batch and batch.group("cancel")):
            if not self._check_key():
                return
            if batch_create:
                self._batch_create(batch_create.group("model"), raw)
            else:
                self._batch_cancel(batch.group("name"))
            return
        match = _GENERATE.match(path) or _VERTEX.match(path)
        if not match:
            self._send_json(404, google_error(404, "NOT_FOUND", f"Unknown path {path}"))
            return
        if self.server.latency:
            time.sleep(self.server.latency)
        if "project" in match.groupdict():
            if not self._check_bearer():
                return
        elif not self._check_key():
            return
        if self._apply_fault("generate", "google"):
            return
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            self._send_json(
                400,
                google_error(
                    400, "INVALID_ARGUMENT", "Invalid JSON payload received. Unexpected token."
                ),
            )
            return
        self._logged.body = body
        self._generate(match.group("model"), body)

    # -- faults ------------------------------------------------------------------------------
    def _apply_fault(self, target: str, shape: str) -> bool:
        """Apply the next fault for ``target`` if it ends the request; True when it did.
        Faults that alter a normal answer are kept in ``self._fault`` for the answer."""
        self._fault = fault = self.server.take_fault(target)
        if fault is None:
            return False
        self._logged.fault = fault
        kind = fault["kind"]
        if kind == "hang":
            self.server._stopping.wait(float(fault.get("seconds", 30)))
            self._fault = None
            return False  # then answer normally (to a client that has usually left)
        if kind == "reset":
            # SO_LINGER 0 + close sends a TCP RST instead of a clean FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            self._logged.status = -1
            return True
        if kind == "malformed_json":
            self.server.log_billed(urlsplit(self.path).path, None)
            self._send_raw(
                200,
                b'{"candidates": [{"content": {"parts": [{"inlineDa',
                "application/json; charset=UTF-8",
            )
            return True
        if kind == "status":
            self._status_fault(fault, shape)
            return True
        if kind == "block" and shape == "google":
            self._send_json(
                200,
                {
                    "promptFeedback": {"blockReason": fault.get("block_reason", "SAFETY")},
                    "usageMetadata": {"promptTokenCount": 12, "totalTokenCount": 12},
                    "modelVersion": "fake",
                    "responseId": uuid.uuid4().hex[:22],
                },
            )
            return True
        if kind in ("block", "finish") and shape == "openai":
            self._send_json(
                400,
                {
                    "error": {
                        "message": "Your request was rejected as a result of our safety system.",
                        "type": "invalid_request_error",
                        "code": "content_policy_violation",
                    }
                },
            )
            return True
        return False  # no_image, finish, truncated_base64: applied to the answer

    def _status_fault(self, fault: dict[str, Any], shape: str) -> None:
        status = int(fault["status"])
        headers: dict[str, str] = {}
        if fault.get("retry_after") is not None:
            headers["Retry-After"] = str(fault["retry_after"])
        if "body" in fault:  # a proxy's non-JSON answer
            self._send_raw(status, str(fault["body"]).encode(), "text/html", headers)
            return
        message = fault.get("message") or {
            429: "Resource has been exhausted (e.g. check quota).",
            500: "An internal error has occurred. Please retry or report.",
            503: "The model is overloaded. Please try again later.",
            504: "Deadline exceeded.",
        }.get(status, f"Fault {status}")
        per_day = fault.get("quota") == "per_day"
        if shape == "openai":
            code = (
                "insufficient_quota"
                if per_day
                else "rate_limit_exceeded"
                if status == 429
                else "server_error"
                if status >= 500
                else "invalid_request"
            )
            self._send_json(
                status, {"error": {"message": message, "type": code, "code": code}}, headers
            )
            return
        details: list[dict[str, Any]] = []
        if status == 429:
            quota = (
                "GenerateRequestsPerDayPerProjectPerModel-FreeTier"
                if per_day
                else "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"
            )
            details.append(
                {
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [
                        {
                            "quotaMetric": "generativelanguage.googleapis.com/"
                            "generate_content_free_tier_requests",
                            "quotaId": quota,
                        }
                    ],
                }
            )
        if fault.get("retry_delay") is not None:
            details.append(
                {
                    "@type": "type.googleapis.com/google.rpc.RetryInfo",
                    "retryDelay": str(fault["retry_delay"]),
                }
            )
        self._send_json(
            status,
            google_error(status, _STATUS_NAMES.get(status, "UNKNOWN"), message, details),
            headers,
        )

    def _fault_answer(self, answer: dict[str, Any]) -> dict[str, Any]:
        """Apply an answer-altering fault to a normal Gemini answer."""
        fault = getattr(self, "_fault", None)
        if not fault:
            return answer
        kind = fault["kind"]
        candidate = answer["candidates"][0]
        parts = candidate["content"]["parts"]
        if kind == "truncated_base64" and not any("inlineData" in p for p in parts):
            for part in parts:  # a text answer cut short: its JSON cannot be read
                if "text" in part:
                    part["text"] = part["text"][: len(part["text"]) // 2]
        elif kind in ("no_image", "finish") and not any("inlineData" in p for p in parts):
            candidate["content"]["parts"] = []
            candidate["finishReason"] = fault.get(
                "finish_reason", "MAX_TOKENS" if kind == "no_image" else "SAFETY"
            )
        elif kind == "truncated_base64":
            for part in parts:
                if "inlineData" in part and not part.get("thought"):
                    data = part["inlineData"]["data"]
                    part["inlineData"]["data"] = data[: len(data) // 2 // 4 * 4]
        elif kind in ("no_image", "finish"):
            candidate["content"]["parts"] = [p for p in parts if "inlineData" not in p]
            candidate["finishReason"] = fault.get(
                "finish_reason", "NO_IMAGE" if kind == "no_image" else "IMAGE_SAFETY"
            )
        return answer

    # -- OAuth token endpoint (service-account JWT bearer grant) ---------------------------
    def _token(self, raw: bytes) -> None:
        if self._apply_fault("token", "google"):
            return
        form = parse_qs(raw.decode("utf-8", "replace"))
        assertion = (form.get("assertion") or [""])[0]
        grant = (form.get("grant_type") or [""])[0]
        if grant != "urn:ietf:params:oauth:grant-type:jwt-bearer" or assertion.count(".") != 2:
            self._send_json(400, {"error": "invalid_grant", "error_description": "bad grant"})
            return
        try:
            claims = json.loads(
                base64.urlsafe_b64decode(
                    assertion.split(".")[1] + "=" * (-len(assertion.split(".")[1]) % 4)
                )
            )
        except ValueError:
            claims = {}
        if not claims.get("iss") or "cloud-platform" not in str(claims.get("scope", "")):
            self._send_json(400, {"error": "invalid_scope", "error_description": "no scope"})
            return
        token = "ya29.fake-" + uuid.uuid4().hex
        with self.server.lock:
            self.server.tokens.add(token)
        self._send_json(200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"})

    def _check_bearer(self) -> bool:
        auth = self.headers.get("Authorization") or ""
        token = auth[7:] if auth.lower().startswith("bearer ") else ""
        if token not in self.server.tokens:
            self._send_json(
                401,
                google_error(
                    401,
                    "UNAUTHENTICATED",
                    "Request had invalid authentication credentials. Expected OAuth 2 access "
                    "token, login cookie or other valid authentication credential.",
                ),
            )
            return False
        return True

    # -- Files API (resumable upload) -----------------------------------------------------
    def _upload(self, raw: bytes) -> None:
        query = parse_qs(urlsplit(self.path).query)
        command = (self.headers.get("X-Goog-Upload-Command") or "").lower()
        upload_id = (query.get("upload_id") or [None])[0]
        if upload_id is None:  # start
            if not self._check_key():
                return
            if self._apply_fault("upload", "google"):
                return
            if self.headers.get("X-Goog-Upload-Protocol") != "resumable" or command != "start":
                self._invalid("Expected X-Goog-Upload-Protocol: resumable and command start.")
                return
            try:
                meta = (json.loads(raw or b"{}").get("file")) or {}
            except (ValueError, AttributeError):
                meta = {}
            upload_id = uuid.uuid4().hex
            with self.server.lock:
                self.server._uploads[upload_id] = {
                    "meta": meta,
                    "length": int(self.headers.get("X-Goog-Upload-Header-Content-Length") or 0),
                    "mime": self.headers.get("X-Goog-Upload-Header-Content-Type")
                    or meta.get("mimeType")
                    or "application/octet-stream",
                }
            url = f"{self.server.base_url}{urlsplit(self.path).path}?" + urlencode(
                {"upload_id": upload_id, "upload_protocol": "resumable"}
            )
            self._send_json(200, {}, {"X-Goog-Upload-URL": url, "X-Goog-Upload-Status": "active"})
            return
        with self.server.lock:
            pending = self.server._uploads.get(upload_id)
        if pending is None:
            self._send_json(404, google_error(404, "NOT_FOUND", "Unknown upload id."))
            return
        if "upload" not in command or self.headers.get("X-Goog-Upload-Offset") != "0":
            self._invalid("Expected X-Goog-Upload-Command: upload, finalize at offset 0.")
            return
        if "finalize" not in command or (pending["length"] and len(raw) != pending["length"]):
            self._send_json(
                400,
                google_error(400, "INVALID_ARGUMENT", "Incomplete upload."),
                {"X-Goog-Upload-Status": "active"},
            )
            return
        file_id = uuid.uuid4().hex[:12]
        name = f"files/{file_id}"
        file = {
            "name": name,
            "mimeType": pending["mime"],
            "sizeBytes": str(len(raw)),
            "sha256Hash": base64.b64encode(hashlib.sha256(raw).digest()).decode(),
            "uri": f"{self.server.base_url}/v1beta/{name}",
            "state": "ACTIVE",
            "source": "UPLOADED",
        }
        if pending["meta"].get("displayName"):
            file["displayName"] = pending["meta"]["displayName"]
        with self.server.lock:
            self.server._uploads.pop(upload_id, None)
            self.server.files[name] = {**file, "data": raw}
        self._send_json(200, {"file": file}, {"X-Goog-Upload-Status": "final"})

    # -- OpenAI-compatible images API -----------------------------------------------------
    def _openai(self, raw: bytes) -> None:
        auth = self.headers.get("Authorization") or ""
        if auth != f"Bearer {self.server.api_key}":
            self._send_json(
                401,
                {
                    "error": {
                        "message": "Incorrect API key provided.",
                        "type": "invalid_request_error",
                        "code": "invalid_api_key",
                    }
                },
            )
            return
        if self._apply_fault("generate", "openai"):
            return
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        if not isinstance(body, dict) or not body.get("prompt"):
            self._send_json(
                400,
                {
                    "error": {
                        "message": "'prompt' is required.",
                        "type": "invalid_request_error",
                        "code": None,
                    }
                },
            )
            return
        self._logged.body = body
        model = fake_models.SERVED.get(str(body.get("model")))
        if model is None:
            self._send_json(
                404,
                {
                    "error": {
                        "message": f"The model {body.get('model')} does not exist.",
                        "type": "invalid_request_error",
                        "code": "model_not_found",
                    }
                },
            )
            return
        sizes = {f"{w}x{h}" for table in model["pixels"].values() for w, h in table.values()}
        size = str(body.get("size") or "1024x1024")
        if size not in sizes:
            self._send_json(
                400,
                {
                    "error": {
                        "message": f"Invalid size {size}.",
                        "type": "invalid_request_error",
                        "code": "invalid_size",
                    }
                },
            )
            return
        width, height = (int(v) for v in size.split("x"))
        image, _mime = self.server.image_for(
            str(body["prompt"]), width, height, seed=body.get("seed")
        )
        encoded = base64.b64encode(image).decode("ascii")
        fault = getattr(self, "_fault", None) or {}
        items: list[dict[str, Any]] = [{"b64_json": encoded}]
        if fault.get("kind") == "truncated_base64":
            items = [{"b64_json": encoded[: len(encoded) // 2 // 4 * 4]}]
        elif fault.get("kind") in ("no_image", "finish"):
            items = []
        prompt_tokens = _estimate_text_tokens(str(body["prompt"]))
        self._send_json(
            200,
            {
                "created": int(time.time()),
                "data": items,
                "usage": {
                    "input_tokens": prompt_tokens,
                    "output_tokens": 1120,
                    "total_tokens": prompt_tokens + 1120,
                    "input_tokens_details": {"text_tokens": prompt_tokens, "image_tokens": 0},
                },
            },
            {"x-request-id": uuid.uuid4().hex},
        )

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

    # -- checks ----------------------------------------------------------------------------
    def _check_key(self) -> bool:
        key = self._api_key()
        if not key:
            self._send_json(
                403,
                google_error(
                    403,
                    "PERMISSION_DENIED",
                    "Method doesn't allow unregistered callers (callers without established "
                    "identity). Please use API Key or other form of API consumer identity "
                    "to call this API.",
                ),
            )
            return False
        if key != self.server.api_key:
            self._send_json(
                400,
                google_error(
                    400,
                    "INVALID_ARGUMENT",
                    "API key not valid. Please pass a valid API key.",
                    [
                        {
                            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                            "reason": "API_KEY_INVALID",
                            "domain": "googleapis.com",
                            "metadata": {"service": "generativelanguage.googleapis.com"},
                        }
                    ],
                ),
            )
            return False
        return True

    def _invalid(self, message: str) -> None:
        self._send_json(400, google_error(400, "INVALID_ARGUMENT", message))

    # -- generation ------------------------------------------------------------------------
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

    def _generate(self, model_id: str, body: Any) -> None:
        if model_id in fake_models.TEXT_SERVED:
            self._describe(model_id, body)
            return
        model = fake_models.SERVED.get(model_id)
        if model is None:  # unknown, or shut down (fake_models.RETIRED): Google's 404
            self._not_found(model_id)
            return
        if not isinstance(body, dict) or not body.get("contents"):
            self._invalid("* GenerateContentRequest.contents: contents is not specified")
            return
        config = body.get("generationConfig") or {}
        image_config = config.get("imageConfig") or {}
        unknown = set(image_config) - {"aspectRatio", "imageSize"}
        if unknown:
            name = sorted(unknown)[0]
            self._invalid(
                f'Invalid JSON payload received. Unknown name "{name}" at '
                "'generation_config.image_config': Cannot find field."
            )
            return
        ratio = image_config.get("aspectRatio")
        size = image_config.get("imageSize")
        if ratio is not None and ratio not in model["ratios"]:
            self._invalid(
                f"Unsupported aspect ratio: {ratio}. Supported ratios: "
                f"{', '.join(model['ratios'])}."
            )
            return
        if size is not None and size not in model["sizes"]:
            self._invalid(
                f"Unsupported image size: {size}."
                + (
                    f" Supported sizes: {', '.join(model['sizes'])}."
                    if model["sizes"]
                    else " This model does not support imageSize."
                )
            )
            return
        level = (config.get("thinkingConfig") or {}).get("thinkingLevel")
        if level is not None and str(level).lower() not in model["thinking_levels"]:
            self._invalid(
                f"Thinking level {level} is not supported for {model_id}."
                + (
                    f" Supported levels: {', '.join(model['thinking_levels'])}."
                    if model["thinking_levels"]
                    else " This model does not take a thinking level."
                )
            )
            return
        search = self._search_types(body.get("tools"))
        if search is None:
            return
        if search and not set(search) <= set(model["search"]):
            self._invalid(
                f"Search grounding ({', '.join(search)}) is not supported for {model_id}."
            )
            return
        contents = body["contents"]
        for turn in contents:
            for part in turn.get("parts") or []:
                file_data = part.get("fileData") if isinstance(part, dict) else None
                if file_data and not self._known_file(str(file_data.get("fileUri", ""))):
                    self._invalid(f"File {file_data.get('fileUri')} not found or expired.")
                    return
                inline = part.get("inlineData") if isinstance(part, dict) else None
                # Proto3 JSON: a field may come as lowerCamelCase or as its proto name
                # (google-genai sends ``inlineData.mime_type``).
                holder = inline or file_data or {}
                mime = holder.get("mimeType") or holder.get("mime_type")
                if (
                    (inline or file_data)
                    and turn.get("role", "user") == "user"
                    and mime not in fake_models.INPUT_MIME_TYPES
                ):
                    self._invalid(f"Unsupported MIME type: {mime}")
                    return
        user_turn = contents[-1] if isinstance(contents, list) else {}
        parts = user_turn.get("parts") or []
        prompt = " ".join(p.get("text", "") for p in parts if isinstance(p, dict))
        ref_count = sum(
            1
            for turn in contents
            for p in (turn.get("parts") or [])
            if isinstance(p, dict)
            and ("inlineData" in p or "fileData" in p)
            and turn.get("role", "user") == "user"
        )
        if ref_count > model["max_inputs"]:
            self._invalid(
                f"Too many input images: {ref_count}; at most "
                f"{model['max_inputs']} are supported by {model_id}."
            )
            return
        effective_size = (size or model["default_size"]) if model["sizes"] else ""
        width, height = model["pixels"][effective_size][ratio or "1:1"]
        image, mime = self.server.image_for(prompt, width, height, seed=config.get("seed"))
        if self.server.c2pa:
            from .fake_c2pa import sign_generated

            image = sign_generated(image, mime, model=model_id)
        answer = self._answer(model, model_id, prompt, image, mime, effective_size, ref_count, body)
        if search:
            answer["candidates"][0]["groundingMetadata"] = _grounding_metadata(prompt, search)
        self._send_json(200, self._fault_answer(answer))

    # -- text models (describing an image) --------------------------------------------------
    def _describe(self, model_id: str, body: Any) -> None:
        """A text model's answer: with ``responseMimeType: application/json`` one text part
        holding a JSON object that follows ``responseJsonSchema``. Its own logic: alt text
        from the prompt, the focal point at the image's brightest region."""
        model = fake_models.TEXT_SERVED[model_id]
        if not isinstance(body, dict) or not body.get("contents"):
            self._invalid("* GenerateContentRequest.contents: contents is not specified")
            return
        config = body.get("generationConfig") or {}
        if "IMAGE" in (config.get("responseModalities") or []):
            self._invalid(
                f"Model {model_id} does not support the requested response modalities: image"
            )
            return
        level = (config.get("thinkingConfig") or {}).get("thinkingLevel")
        if level is not None and str(level).lower() not in model["thinking_levels"]:
            self._invalid(f"Thinking level {level} is not supported for {model_id}.")
            return
        schema = config.get("responseJsonSchema")
        mime = config.get("responseMimeType")
        if schema is not None and mime != "application/json":
            self._invalid("responseJsonSchema requires responseMimeType application/json.")
            return
        if schema is not None and (not isinstance(schema, dict) or schema.get("type") != "object"):
            self._invalid(
                "* GenerationConfig.response_json_schema: the schema must be an object schema."
            )
            return
        texts: list[str] = []
        images: list[bytes] = []
        for turn in body["contents"]:
            for part in turn.get("parts") or []:
                if not isinstance(part, dict):
                    continue
                if "text" in part:
                    texts.append(str(part["text"]))
                inline = part.get("inlineData")
                if isinstance(inline, dict):
                    if inline.get("mimeType") not in fake_models.INPUT_MIME_TYPES:
                        self._invalid(f"Unsupported MIME type: {inline.get('mimeType')}")
                        return
                    try:
                        images.append(base64.b64decode(inline.get("data") or ""))
                    except ValueError:
                        self._invalid("Invalid base64 image data.")
                        return
        prompt = "\n".join(texts)
        subject = prompt.rsplit("Prompt:", 1)[-1].strip() if "Prompt:" in prompt else prompt
        focal = _brightest(images[0]) if images else (0.5, 0.5)
        if schema is not None:
            data = _fill_schema(schema, subject=subject, focal=focal)
            text = json.dumps(data, ensure_ascii=False)
        else:
            text = f"An image of {subject[:200]}"
        out_tokens = _estimate_text_tokens(text)
        prompt_tokens = _estimate_text_tokens(prompt)
        image_tokens = len(images) * model["input_image_tokens"]
        thoughts = 0 if not level or str(level).lower() == "minimal" else 120
        details = [{"modality": "TEXT", "tokenCount": prompt_tokens}]
        if image_tokens:
            details.append({"modality": "IMAGE", "tokenCount": image_tokens})
        usage: dict[str, Any] = {
            "promptTokenCount": prompt_tokens + image_tokens,
            "candidatesTokenCount": out_tokens,
            "totalTokenCount": prompt_tokens + image_tokens + out_tokens + thoughts,
            "promptTokensDetails": details,
            "candidatesTokensDetails": [{"modality": "TEXT", "tokenCount": out_tokens}],
        }
        if thoughts:
            usage["thoughtsTokenCount"] = thoughts
        answer = {
            "candidates": [
                {
                    "content": {"role": "model", "parts": [{"text": text}]},
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": usage,
            "modelVersion": model_id,
            "modelStatus": {"modelStage": model["stage"]},
            "responseId": uuid.uuid4().hex[:22],
        }
        self._send_json(200, self._fault_answer(answer))

    def _search_types(self, tools: Any) -> tuple[str, ...] | None:
        """The search types a request's ``tools`` ask for (None after a 400 was sent)."""
        found: list[str] = []
        for tool in tools or []:
            if not isinstance(tool, dict):
                self._invalid("Invalid JSON payload received. tools must be objects.")
                return None
            for name, value in tool.items():
                if name != "googleSearch":
                    self._invalid(
                        f'Invalid JSON payload received. Unknown name "{name}" '
                        "at 'tools[0]': Cannot find field."
                    )
                    return None
                types = (value or {}).get("searchTypes") if isinstance(value, dict) else None
                if types is None:
                    found.append("webSearch")
                    continue
                unknown = set(types) - {"webSearch", "imageSearch"}
                if unknown:
                    self._invalid(
                        f"Invalid JSON payload received. Unknown name "
                        f'"{sorted(unknown)[0]}" at \'tools[0].google_search.'
                        "search_types': Cannot find field."
                    )
                    return None
                found += [t for t in ("webSearch", "imageSearch") if t in types]
        return tuple(dict.fromkeys(found))

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

    # -- batch mode ----------------------------------------------------------------------------
    def _batch_operation(self, job: dict[str, Any]) -> dict[str, Any]:
        operation: dict[str, Any] = {
            "name": job["name"],
            "metadata": {
                "@type": "type.googleapis.com/google.ai.generativelanguage.v1main."
                "GenerateContentBatch",
                "name": job["name"],
                "model": f"models/{job['model']}",
                "displayName": job["display_name"],
                "state": job["state"],
                "createTime": job["created"],
            },
            "done": job["state"]
            in (
                "BATCH_STATE_SUCCEEDED",
                "BATCH_STATE_FAILED",
                "BATCH_STATE_CANCELLED",
                "BATCH_STATE_EXPIRED",
            ),
        }
        if job.get("results") is not None:
            operation["response"] = {
                "@type": "type.googleapis.com/google.ai.generativelanguage.v1main."
                "GenerateContentBatchOutput",
                "inlinedResponses": {"inlinedResponses": job["results"]},
            }
        return operation

    def _batch_create(self, model_id: str, raw: bytes) -> None:
        try:
            body = json.loads(raw or b"null")
            batch = body["batch"]
            requests = batch["inputConfig"]["requests"]["requests"]
            assert isinstance(requests, list) and requests
        except (ValueError, KeyError, TypeError, AssertionError):
            self._invalid("batch.input_config.requests: at least one request is required")
            return
        if model_id not in fake_models.SERVED:
            self._not_found(model_id)
            return
        self._logged.body = {
            "batch": {**batch, "inputConfig": {"requests": {"count": len(requests)}}}
        }
        name = f"batches/{uuid.uuid4().hex[:16]}"
        job = {
            "name": name,
            "model": model_id,
            "display_name": batch.get("displayName", ""),
            "state": "BATCH_STATE_PENDING",
            "requests": requests,
            "polls": 0,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "results": None,
        }
        with self.server.lock:
            self.server.batches[name] = job
        self._send_json(200, self._batch_operation(job))

    def _batch_get(self, name: str) -> None:
        with self.server.lock:
            job = self.server.batches.get(name)
        if job is None:
            self._send_json(404, google_error(404, "NOT_FOUND", f"{name} not found"))
            return
        job["polls"] += 1
        finish_after = self.server.batch_polls_to_finish
        if job["state"] in ("BATCH_STATE_PENDING", "BATCH_STATE_RUNNING"):
            if finish_after is not None and job["polls"] > finish_after:
                job["results"] = [
                    self._batch_result(job["model"], item) for item in job["requests"]
                ]
                job["state"] = "BATCH_STATE_SUCCEEDED"
            else:
                job["state"] = "BATCH_STATE_RUNNING"
        self._send_json(200, self._batch_operation(job))

    def _batch_result(self, model_id: str, item: dict[str, Any]) -> dict[str, Any]:
        """One inlined response: what generateContent would have answered."""
        captured: list[tuple[int, Any]] = []
        original = self._send_json
        self._send_json = lambda status, payload, headers=None: captured.append(  # type: ignore[method-assign]
            (status, payload)
        )
        self._fault = None
        try:
            self._generate(model_id, item.get("request") or {})
        finally:
            self._send_json = original  # type: ignore[method-assign]
        status, payload = captured[-1]
        result: dict[str, Any] = {"metadata": item.get("metadata") or {}}
        if status == 200:
            result["response"] = payload
            self.server.log_billed(
                urlsplit(self.path).path,
                payload.get("usageMetadata"),
                batch=True,
                response_id=payload.get("responseId"),
            )
        else:
            result["error"] = payload.get("error", {})
        return result

    def _batch_cancel(self, name: str) -> None:
        with self.server.lock:
            job = self.server.batches.get(name)
        if job is None:
            self._send_json(404, google_error(404, "NOT_FOUND", f"{name} not found"))
            return
        if job["state"] in ("BATCH_STATE_PENDING", "BATCH_STATE_RUNNING"):
            job["state"] = "BATCH_STATE_CANCELLED"
        self._send_json(200, {})

    def _known_file(self, uri: str) -> bool:
        name = "files/" + uri.rsplit("/files/", 1)[-1] if "/files/" in uri else uri
        with self.server.lock:
            return name in self.server.files

    def _answer(self, model, model_id, prompt, image, mime, size, ref_count, body) -> dict:
        thinking = model["thinks"]
        digest = hashlib.sha256(f"{model_id}|{prompt}".encode()).hexdigest()
        signature = base64.b64encode(f"sig-{digest[:32]}".encode()).decode()
        text = "Here is the image you asked for."
        parts: list[dict[str, Any]] = []
        if thinking:
            parts.append({"text": f"Planning the composition for: {prompt[:80]}", "thought": True})
        modalities = (body.get("generationConfig") or {}).get("responseModalities") or [
            "TEXT",
            "IMAGE",
        ]
        text_tokens_out = 0
        if "TEXT" in modalities:
            parts.append({"text": text, "thoughtSignature": signature})
            text_tokens_out = _estimate_text_tokens(text)
        parts.append(
            {
                "inlineData": {"mimeType": mime, "data": base64.b64encode(image).decode("ascii")},
                **({"thoughtSignature": signature} if thinking else {}),
            }
        )
        system = body.get("systemInstruction") or {}
        system_text = " ".join(p.get("text", "") for p in system.get("parts") or [])
        history_text = " ".join(
            p.get("text", "") for turn in body["contents"][:-1] for p in (turn.get("parts") or [])
        )
        prompt_text_tokens = _estimate_text_tokens(prompt + system_text + history_text)
        prompt_image_tokens = ref_count * model["input_image_tokens"]
        image_tokens = model["image_tokens"][size]
        thoughts = (100 + int(digest[:4], 16) % 200) if thinking else 0
        candidates_tokens = image_tokens + text_tokens_out
        prompt_details = [{"modality": "TEXT", "tokenCount": prompt_text_tokens}]
        if prompt_image_tokens:
            prompt_details.append({"modality": "IMAGE", "tokenCount": prompt_image_tokens})
        usage: dict[str, Any] = {
            "promptTokenCount": prompt_text_tokens + prompt_image_tokens,
            "candidatesTokenCount": candidates_tokens,
            "totalTokenCount": (
                prompt_text_tokens + prompt_image_tokens + candidates_tokens + thoughts
            ),
            "promptTokensDetails": prompt_details,
            "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": image_tokens}]
            + ([{"modality": "TEXT", "tokenCount": text_tokens_out}] if text_tokens_out else []),
        }
        if thoughts:
            usage["thoughtsTokenCount"] = thoughts
        return {
            "candidates": [
                {
                    "content": {"role": "model", "parts": parts},
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": usage,
            "modelVersion": model_id,
            "modelStatus": _model_status(model),
            "responseId": uuid.uuid4().hex[:22],
        }


def _brightest(data: bytes) -> tuple[float, float]:
    """Centre of the brightest cell of a 16 x 16 grid over the image, as fractions."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            small = image.convert("L").resize((16, 16), Image.Resampling.BOX)
    except Exception:
        return (0.5, 0.5)
    values = list(small.tobytes())
    index = max(range(len(values)), key=lambda i: (values[i], -i))
    return (round((index % 16 + 0.5) / 16, 4), round((index // 16 + 0.5) / 16, 4))


def _fill_schema(
    schema: Any, *, subject: str, focal: tuple[float, float], path: tuple[str, ...] = ()
) -> Any:
    """A value following ``schema``: objects get every property, strings a text that
    depends on where they are (alt text, description, per language code), numbers the
    focal point."""
    if not isinstance(schema, dict):
        return None
    kind = schema.get("type")
    if kind == "object":
        return {
            name: _fill_schema(sub, subject=subject, focal=focal, path=(*path, name))
            for name, sub in (schema.get("properties") or {}).items()
        }
    if kind == "array":
        return [_fill_schema(schema.get("items") or {}, subject=subject, focal=focal, path=path)]
    if kind in ("number", "integer"):
        value = focal[1] if path and path[-1] == "y" else focal[0]
        return value if kind == "number" else round(value)
    if kind == "boolean":
        return True
    words = " ".join(subject.split())
    text = (words[:1].upper() + words[1:]).rstrip(".") or "An image"
    language = path[-1] if len(path) >= 2 else "en"
    prefix = "" if language.split("-")[0] == "en" else f"[{language}] "
    if "description" in path:
        return (
            f"{prefix}{text}. A generated picture; the main subject sits around "
            f"{round(focal[0] * 100)}% across and {round(focal[1] * 100)}% down."
        )
    return f"{prefix}{text}"[:120]


def _model_status(model: dict[str, Any]) -> dict[str, Any]:
    status: dict[str, Any] = {"modelStage": model["stage"]}
    if model.get("retirement_time"):
        status["retirementTime"] = model["retirement_time"]
        status["message"] = (
            f"{model['display_name']} is deprecated and will be retired on "
            f"{model['retirement_time'][:10]}."
        )
    return status


def _grounding_metadata(prompt: str, search: tuple[str, ...]) -> dict[str, Any]:
    """What a grounded answer carries: the queries run, sources, and the search
    suggestions chip (``searchEntryPoint``) that must be shown with the result."""
    query = " ".join(prompt.split()[:6]) or "image"
    metadata: dict[str, Any] = {
        "webSearchQueries": [query],
        "groundingChunks": [{"web": {"uri": "https://example.org/source", "title": "example.org"}}],
        "groundingSupports": [],
        "searchEntryPoint": {
            "renderedContent": (
                "<style>.chip{display:inline-block;padding:4px 10px;border:1px solid #ccc;"
                'border-radius:16px;font:13px sans-serif}</style><div class="container">'
                f'<a class="chip" href="https://www.google.com/search?q={query.replace(" ", "+")}">'
                f"{query}</a></div>"
            )
        },
    }
    if "imageSearch" in search:
        metadata["imageSearchQueries"] = [query]
    return metadata


def serve(host: str = "127.0.0.1", port: int = 0, **kwargs: Any) -> FakeGeminiServer:
    """Start a server in a background thread and return it."""
    return FakeGeminiServer((host, port), **kwargs).start()


def load_faults(spec: str) -> list[dict[str, Any]]:
    """Faults from a JSON string or ``@path`` to a JSON file."""
    if spec.startswith("@"):
        with open(spec[1:], encoding="utf-8") as handle:
            spec = handle.read()
    faults = json.loads(spec)
    if isinstance(faults, dict):
        faults = [faults]
    if not isinstance(faults, list):
        raise ValueError("faults must be a JSON list of objects")
    return faults


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake Gemini image API on loopback.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--api-key",
        default=DEFAULT_API_KEY,
        help="the key the server accepts (default: %(default)s)",
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="seconds to wait before answering each generation",
    )
    parser.add_argument("--image-format", choices=["PNG", "JPEG"], default="PNG")
    parser.add_argument(
        "--image-file",
        default=None,
        help="answer every generation with this image file (PNG or JPEG)",
    )
    parser.add_argument(
        "--faults",
        default=None,
        help="a JSON list of faults, or @FILE holding one (see the module doc)",
    )
    args = parser.parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the fake server only listens on loopback")
    faults = load_faults(args.faults) if args.faults else []
    server = FakeGeminiServer(
        (args.host, args.port),
        api_key=args.api_key,
        latency=args.latency,
        image_format=args.image_format,
    )
    server.add_faults(faults)
    if args.image_file:
        with open(args.image_file, "rb") as handle:
            server.image_bytes = handle.read()
    print(f"Fake Gemini server on {server.base_url} (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
