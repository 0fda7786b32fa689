"""What the fake's answers share: the paths it serves, Google's and OpenAI's error bodies,
reading a JSON body, and its token estimate."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from .. import fake_models

DEFAULT_API_KEY = "fake-gemini-key"
GENERATE = re.compile(
    r"^/(?P<version>v1beta|v1)/models/(?P<model>[^/:]+):(?P<method>generateContent)$"
)
VERTEX = re.compile(
    r"^/(?P<version>v1beta1|v1)/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
    r"/publishers/google/models/(?P<model>[^/:]+):(?P<method>generateContent)$"
)
OPENAI = "/v1/images/generations"
UPLOAD = re.compile(r"^/upload/(?P<version>v1beta|v1)/files$")
TOKEN = "/token"  # noqa: S105 - a path, not a password
MODELS = re.compile(r"^/(?P<version>v1beta|v1)/models/?$")
#: Google's inline request limit on the Developer API (100 MB since 2026-01-08).
MAX_REQUEST_BYTES = 100 * 1024 * 1024
BATCH_CREATE = re.compile(
    r"^/(?P<version>v1beta|v1)/models/(?P<model>[^/:]+):batchGenerateContent$"
)
BATCH = re.compile(
    r"^/(?P<version>v1beta|v1)/(?P<name>batches/[A-Za-z0-9_-]+)(?P<cancel>:cancel)?$"
)
STATUS_NAMES = {
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
#: What :func:`load_json` returns for a body that is not JSON.
NOT_JSON: Any = object()


def google_error(code: int, status: str, message: str, details: list | None = None) -> dict:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = details
    return {"error": error}


def openai_error(message: str, code: str | None, kind: str = "invalid_request_error") -> dict:
    return {"error": {"message": message, "type": kind, "code": code}}


def load_json(raw: bytes) -> Any:
    """The request body as JSON (``None`` when empty), or :data:`NOT_JSON`."""
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return NOT_JSON


def is_text_call(path: str) -> bool:
    model = path.rsplit("/models/", 1)[-1].split(":", 1)[0]
    return model in fake_models.TEXT_SERVED


def estimate_text_tokens(text: str) -> int:
    return max(1, len(text) // 4)


def usage_metadata(
    prompt_text: int, prompt_images: int, out: list[tuple[str, int]], thoughts: int
) -> dict[str, Any]:
    """An answer's ``usageMetadata``: prompt tokens by modality (images only when there
    were any), the output tokens ``out`` by modality, thought tokens when there were any."""
    details = [{"modality": "TEXT", "tokenCount": prompt_text}]
    if prompt_images:
        details.append({"modality": "IMAGE", "tokenCount": prompt_images})
    candidates = sum(count for _modality, count in out)
    usage: dict[str, Any] = {
        "promptTokenCount": prompt_text + prompt_images,
        "candidatesTokenCount": candidates,
        "totalTokenCount": prompt_text + prompt_images + candidates + thoughts,
        "promptTokensDetails": details,
        "candidatesTokensDetails": [{"modality": m, "tokenCount": n} for m, n in out],
    }
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    return usage


def gemini_answer(
    model_id: str, parts: list[dict[str, Any]], usage: dict[str, Any], status: dict[str, Any]
) -> dict[str, Any]:
    """A ``generateContent`` answer with one finished candidate."""
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
        "modelStatus": status,
        "responseId": uuid.uuid4().hex[:22],
    }
