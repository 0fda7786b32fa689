"""A fake Gemini API server on loopback that speaks the real wire format.

It validates requests the way Google does (key, model, aspect ratio, image size), answers
with a real, deterministic image of the right pixel size, realistic ``usageMetadata``, a
``responseId`` and ``modelVersion``, and keeps a log of what it saw. Run it standalone::

    python -m django_nanobanana.testing.fake_gemini --port 8765 --api-key fake-key

or use the ``fake_gemini`` pytest fixture (``django_nanobanana.testing.pytest_plugin``).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from PIL import Image, ImageDraw

from ..providers.models_registry import BUILTIN_MODELS, SIZE_FACTORS

DEFAULT_API_KEY = "fake-gemini-key"
_GENERATE = re.compile(
    r"^/(?P<version>v1beta|v1)/models/(?P<model>[^/:]+):(?P<method>generateContent)$"
)


@dataclass
class LoggedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int = 0
    at: float = field(default_factory=time.time)


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

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeGeminiServer:
        self._thread = threading.Thread(target=self.serve_forever, daemon=True, name="fake-gemini")
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def generate_requests(self) -> list[LoggedRequest]:
        """The logged generateContent calls."""
        with self.lock:
            return [r for r in self.requests if r.path.endswith(":generateContent")]

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.faults.clear()


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
        b = digest[6 + i * 4: 10 + i * 4]
        cx, cy = b[0] / 255 * width, b[1] / 255 * height
        r = (0.05 + b[2] / 255 * 0.2) * min(width, height)
        colour = tuple(digest[(i * 3) % 29: (i * 3) % 29 + 3])
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

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # quiet: the request log is in server.requests

    # -- plumbing ----------------------------------------------------------------------------
    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
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
    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        raw = self._read_body()
        self._logged = self._log(raw)
        path = urlsplit(self.path).path
        if path in ("/", "/health"):
            self._send_json(200, {"status": "ok", "fake": "gemini"})
            return
        self._send_json(404, google_error(404, "NOT_FOUND", f"Unknown path {path}"))

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        raw = self._read_body()
        self._logged = self._log(raw)
        path = urlsplit(self.path).path
        match = _GENERATE.match(path)
        if not match:
            self._send_json(404, google_error(404, "NOT_FOUND", f"Unknown path {path}"))
            return
        if self.server.latency:
            time.sleep(self.server.latency)
        if not self._check_key():
            return
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            self._send_json(400, google_error(
                400, "INVALID_ARGUMENT", "Invalid JSON payload received. Unexpected token."))
            return
        self._logged.body = body
        self._generate(match.group("model"), body)

    def _log(self, raw: bytes) -> LoggedRequest:
        headers = {k.lower(): v for k, v in self.headers.items()}
        if "x-goog-api-key" in headers:
            headers["x-goog-api-key"] = "[present]"
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw[:200].decode("utf-8", "replace")
        entry = LoggedRequest(self.command, urlsplit(self.path).path, headers, body)
        with self.server.lock:
            self.server.requests.append(entry)
        return entry

    # -- checks ----------------------------------------------------------------------------
    def _check_key(self) -> bool:
        key = self._api_key()
        if not key:
            self._send_json(403, google_error(
                403, "PERMISSION_DENIED",
                "Method doesn't allow unregistered callers (callers without established "
                "identity). Please use API Key or other form of API consumer identity "
                "to call this API."))
            return False
        if key != self.server.api_key:
            self._send_json(400, google_error(
                400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
                [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                  "reason": "API_KEY_INVALID", "domain": "googleapis.com",
                  "metadata": {"service": "generativelanguage.googleapis.com"}}]))
            return False
        return True

    def _invalid(self, message: str) -> None:
        self._send_json(400, google_error(400, "INVALID_ARGUMENT", message))

    # -- generation ------------------------------------------------------------------------
    def _generate(self, model_id: str, body: Any) -> None:
        model = BUILTIN_MODELS.get(model_id)
        version = urlsplit(self.path).path.split("/")[1]
        if model is None:
            self._send_json(404, google_error(
                404, "NOT_FOUND",
                f"models/{model_id} is not found for API version {version}, or is not "
                "supported for generateContent. Call ListModels to see the list of "
                "available models and their supported methods."))
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
                "'generation_config.image_config': Cannot find field.")
            return
        ratio = image_config.get("aspectRatio")
        size = image_config.get("imageSize")
        if ratio is not None and ratio not in model.aspect_ratios:
            self._invalid(f"Unsupported aspect ratio: {ratio}. Supported ratios: "
                          f"{', '.join(model.aspect_ratios)}.")
            return
        if size is not None and (not model.image_sizes or size not in model.image_sizes):
            self._invalid(f"Unsupported image size: {size}." + (
                f" Supported sizes: {', '.join(model.image_sizes)}." if model.image_sizes
                else " This model does not support imageSize."))
            return
        contents = body["contents"]
        user_turn = contents[-1] if isinstance(contents, list) else {}
        parts = user_turn.get("parts") or []
        prompt = " ".join(p.get("text", "") for p in parts if isinstance(p, dict))
        ref_count = sum(
            1 for turn in contents for p in (turn.get("parts") or [])
            if isinstance(p, dict) and ("inlineData" in p or "fileData" in p)
            and turn.get("role", "user") == "user"
        )
        if ref_count > model.max_reference_images:
            self._invalid(f"Too many input images: {ref_count}; at most "
                          f"{model.max_reference_images} are supported by {model_id}.")
            return
        effective_size = size or model.default_image_size or "1K"
        if not model.image_sizes:
            effective_size = "1K"
        if ratio is None:
            ratio = "1:1"
        width, height = model.dimensions_1k[ratio]
        factor = SIZE_FACTORS[effective_size]
        width, height = int(width * factor), int(height * factor)
        fmt = self.server.image_format
        image = make_image(prompt, width, height, fmt, seed=config.get("seed"))
        mime = "image/jpeg" if fmt.upper() == "JPEG" else "image/png"
        self._send_json(200, self._answer(model, model_id, prompt, image, mime, effective_size,
                                          ref_count, body))

    def _answer(self, model, model_id, prompt, image, mime, size, ref_count, body) -> dict:
        thinking = model_id.startswith("gemini-3")
        digest = hashlib.sha256(f"{model_id}|{prompt}".encode()).hexdigest()
        signature = base64.b64encode(f"sig-{digest[:32]}".encode()).decode()
        text = "Here is the image you asked for."
        parts: list[dict[str, Any]] = []
        if thinking:
            parts.append({"text": f"Planning the composition for: {prompt[:80]}", "thought": True})
        modalities = (body.get("generationConfig") or {}).get("responseModalities") or ["TEXT", "IMAGE"]
        text_tokens_out = 0
        if "TEXT" in modalities:
            parts.append({"text": text, "thoughtSignature": signature})
            text_tokens_out = _estimate_text_tokens(text)
        parts.append({"inlineData": {"mimeType": mime,
                                     "data": base64.b64encode(image).decode("ascii")},
                      **({"thoughtSignature": signature} if thinking else {})})
        system = body.get("systemInstruction") or {}
        system_text = " ".join(p.get("text", "") for p in system.get("parts") or [])
        history_text = " ".join(
            p.get("text", "") for turn in body["contents"][:-1] for p in (turn.get("parts") or [])
        )
        prompt_text_tokens = _estimate_text_tokens(prompt + system_text + history_text)
        prompt_image_tokens = ref_count * model.input_image_tokens
        image_tokens = model.output_image_tokens[size if model.image_sizes else "1K"]
        thoughts = (100 + int(digest[:4], 16) % 200) if thinking else 0
        candidates_tokens = image_tokens + text_tokens_out
        prompt_details = [{"modality": "TEXT", "tokenCount": prompt_text_tokens}]
        if prompt_image_tokens:
            prompt_details.append({"modality": "IMAGE", "tokenCount": prompt_image_tokens})
        usage: dict[str, Any] = {
            "promptTokenCount": prompt_text_tokens + prompt_image_tokens,
            "candidatesTokenCount": candidates_tokens,
            "totalTokenCount": prompt_text_tokens + prompt_image_tokens + candidates_tokens + thoughts,
            "promptTokensDetails": prompt_details,
            "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": image_tokens}]
            + ([{"modality": "TEXT", "tokenCount": text_tokens_out}] if text_tokens_out else []),
        }
        if thoughts:
            usage["thoughtsTokenCount"] = thoughts
        return {
            "candidates": [{
                "content": {"role": "model", "parts": parts},
                "finishReason": "STOP",
                "index": 0,
            }],
            "usageMetadata": usage,
            "modelVersion": model_id,
            "responseId": uuid.uuid4().hex[:22],
        }


def serve(host: str = "127.0.0.1", port: int = 0, **kwargs: Any) -> FakeGeminiServer:
    """Start a server in a background thread and return it."""
    return FakeGeminiServer((host, port), **kwargs).start()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake Gemini image API on loopback.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--api-key", default=DEFAULT_API_KEY,
                        help="the key the server accepts (default: %(default)s)")
    parser.add_argument("--latency", type=float, default=0.0,
                        help="seconds to wait before answering each generation")
    parser.add_argument("--image-format", choices=["PNG", "JPEG"], default="PNG")
    args = parser.parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the fake server only listens on loopback")
    server = FakeGeminiServer((args.host, args.port), api_key=args.api_key,
                              latency=args.latency, image_format=args.image_format)
    print(f"Fake Gemini server on {server.base_url} (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
