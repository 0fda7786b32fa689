"""OpenAI-compatible image APIs (the wrapper platforms that resell Gemini image models).

``POST {BASE_URL}/v1/images/generations`` with
``{"model", "prompt", "size": "WIDTHxHEIGHT", "n": 1, "response_format": "b64_json"}`` and
``Authorization: Bearer KEY``; the image is ``data[0].b64_json``. Errors come in OpenAI's
shape and map to the same hierarchy; retries, limiter and outcomes are the base class's.

The size string is the model's pixel size for the requested ratio and image size, from
the capabilities registry (e.g. 16:9 at 1K on 3.1 Flash is ``1376x768``). This JSON API
has no reference images; use the Gemini or Vertex provider to edit or to use references.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from ..exceptions import RequestValidationError
from .base import Provider
from .errors import (
    ErrorFacts,
    MalformedResponseError,
    error_object,
    error_parser,
    excerpt,
    longest,
    parse_retry_after,
)
from .images import image_looks_complete
from .models_registry import ModelCapabilities
from .types import ImageRequest, ImageResult, RawResponse, Usage

#: Error codes of a refused prompt: an outcome (``blocked``), not a fault.
BLOCK_CODES = frozenset({"content_policy_violation", "moderation_blocked", "safety"})


@error_parser
def parse_openai_error(status_code: int, text: str, headers: Mapping[str, str]) -> ErrorFacts:
    """Map a non-2xx answer in OpenAI's shape (``{"error": {"message", "type", "code"}}``,
    or not JSON at all) to the same hierarchy as Google's errors: called as
    ``parse_openai_error(status_code, body, headers, provider=..., secrets=...)``."""
    reason: str | None = None
    error = error_object(text)
    if error is not None:
        message = str(error.get("message") or "")
        code = error.get("code") or error.get("type")
        reason = str(code).upper() if code else None
    else:
        message = excerpt(text, status_code)
    retry_after = parse_retry_after(headers)
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            retry_after = longest(retry_after, float(millis) / 1000)
        except ValueError:
            pass
    return ErrorFacts(
        message,
        reason,
        # OpenAI-style APIs say "insufficient_quota" when the balance or plan is used up:
        # like Google's per-day quota, waiting a minute does not help.
        per_day=reason == "INSUFFICIENT_QUOTA",
        auth_failure=reason in ("INVALID_API_KEY", "INVALID_AUTHENTICATION"),
        request_id=headers.get("x-request-id"),
        retry_after=retry_after,
    )


class OpenAICompatibleProvider(Provider):
    name = "openai_compat"
    #: This JSON API takes no reference images at all: refused at the edge.
    accepts_references = False
    error_parser = staticmethod(parse_openai_error)

    def check_request(self, request: ImageRequest) -> ModelCapabilities:
        capabilities = super().check_request(request)
        if request.references or request.history:
            raise RequestValidationError(
                {
                    "references": [
                        f"Provider {self.alias!r} (OpenAI-compatible images API) takes no "
                        "reference images or edit history; use a Gemini or Vertex provider."
                    ]
                }
            )
        return capabilities

    def build_payload(self, request: ImageRequest, capabilities: ModelCapabilities) -> dict:
        width, height = capabilities.dimensions(request.aspect_ratio, request.image_size)
        prompt = request.prompt
        if request.system_instruction:
            prompt = f"{request.system_instruction}\n\n{prompt}"
        payload: dict[str, Any] = {
            "model": request.model,
            "prompt": prompt,
            "size": f"{width}x{height}",
            "n": 1,
            "response_format": "b64_json",
        }
        if request.seed is not None:
            payload["seed"] = request.seed
        return payload

    def endpoint(self) -> str:
        return f"{str(self.config.get('BASE_URL') or '').rstrip('/')}/v1/images/generations"

    def send(self, request: ImageRequest, payload: Any) -> RawResponse:
        headers = {
            **(self.config.get("EXTRA_HEADERS") or {}),
            "authorization": f"Bearer {self.api_key or ''}",
            "content-type": "application/json",
        }
        response = self.post_json(self.endpoint(), payload, headers)
        if response.status_code >= 300:
            error = self.error_from_response(response)
            if response.status_code == 400 and error.reason.lower() in BLOCK_CODES:
                return RawResponse(
                    response.status_code,
                    response.headers,
                    {"_blocked": error.reason, "_message": error.message},
                )
            raise error
        data = self.json_object(response.content, status_code=200)
        return RawResponse(response.status_code, response.headers, data)

    def parse_response(self, request: ImageRequest, response: RawResponse) -> ImageResult:
        data = response.data
        if "_blocked" in data:
            return ImageResult(
                "blocked",
                block_reason=data["_blocked"],
                reason=f"The prompt was blocked ({data['_blocked']}).",
            )
        items = data.get("data") or []
        encoded = items[0].get("b64_json") if items and isinstance(items[0], dict) else None
        text = str(items[0].get("revised_prompt") or "") if items else ""
        if not encoded:
            return ImageResult(
                "failed",
                finish_reason="NO_IMAGE",
                text=text,
                reason="The provider returned no image (NO_IMAGE).",
            )
        try:
            image = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedResponseError(
                "The image data in the answer is not valid base64.", provider=self.alias
            ) from None
        if not image or not image_looks_complete(image):
            raise MalformedResponseError(
                "The image in the answer is truncated.", provider=self.alias
            )
        mime = (
            "image/jpeg"
            if image.startswith(b"\xff\xd8")
            else ("image/webp" if image[8:12] == b"WEBP" else "image/png")
        )
        return ImageResult(
            "succeeded",
            image=image,
            mime_type=mime,
            text=text,
            response_id=response.headers.get("x-request-id"),
            model_version=str(data.get("model") or request.model),
        )

    def parse_usage(self, response: RawResponse) -> Usage:
        usage = response.data.get("usage") or {}
        if not usage:
            return Usage()
        prompt = int(usage.get("input_tokens") or 0)
        output = int(usage.get("output_tokens") or 0)
        details = usage.get("input_tokens_details") or {}
        prompt_image = int(details.get("image_tokens") or 0)
        return Usage(
            prompt_tokens=prompt,
            prompt_text_tokens=prompt - prompt_image,
            prompt_image_tokens=prompt_image,
            output_tokens=output,
            output_image_tokens=output,
            total_tokens=int(usage.get("total_tokens") or 0) or prompt + output,
        )
