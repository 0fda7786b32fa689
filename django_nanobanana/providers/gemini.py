"""Google's Gemini Developer API (AI Studio keys): ``models/{model}:generateContent``."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from .base import ImageRequest, ImageResult, Provider, RawResponse, Usage
from .errors import MalformedResponseError, error_from_response
from .models_registry import ModelCapabilities

#: finishReason / blockReason values that mean "refused for safety or policy".
BLOCK_REASONS = frozenset({
    "SAFETY", "IMAGE_SAFETY", "PROHIBITED_CONTENT", "IMAGE_PROHIBITED_CONTENT", "BLOCKLIST",
    "SPII", "RECITATION", "IMAGE_RECITATION",
})


class GeminiProvider(Provider):
    name = "gemini"

    # -- payload --------------------------------------------------------------------------
    def build_payload(self, request: ImageRequest, capabilities: ModelCapabilities) -> dict:
        parts: list[dict[str, Any]] = [{"text": request.prompt}]
        for ref in request.references:
            if ref.file_uri:
                parts.append({"fileData": {"fileUri": ref.file_uri, "mimeType": ref.mime_type}})
            else:
                parts.append({"inlineData": {
                    "mimeType": ref.mime_type, "data": base64.b64encode(ref.data).decode("ascii"),
                }})
        payload: dict[str, Any] = {
            "contents": [*request.history, {"role": "user", "parts": parts}],
        }
        if request.system_instruction:
            payload["systemInstruction"] = {"parts": [{"text": request.system_instruction}]}
        safety = request.safety_settings or self.config.get("SAFETY_SETTINGS")
        if safety:
            payload["safetySettings"] = [
                {"category": _category(cat), "threshold": threshold}
                for cat, threshold in safety.items()
            ]
        generation: dict[str, Any] = {"responseModalities": ["TEXT", "IMAGE"]}
        image_config: dict[str, Any] = {}
        if request.aspect_ratio:
            image_config["aspectRatio"] = request.aspect_ratio
        if request.image_size and capabilities.image_sizes:
            image_config["imageSize"] = request.image_size
        if image_config:
            generation["imageConfig"] = image_config
        if request.seed is not None:
            generation["seed"] = request.seed
        if request.thinking_level:
            generation["thinkingConfig"] = {"thinkingLevel": request.thinking_level}
        payload["generationConfig"] = generation
        return payload

    # -- transport -------------------------------------------------------------------------
    def endpoint(self, model: str) -> str:
        base = str(self.config.get("BASE_URL") or "").rstrip("/")
        version = self.config.get("API_VERSION") or "v1beta"
        return f"{base}/{version}/models/{model}:generateContent"

    def headers(self) -> dict[str, str]:
        return {
            **(self.config.get("EXTRA_HEADERS") or {}),
            "x-goog-api-key": self.api_key or "",
            "content-type": "application/json",
        }

    def send(self, request: ImageRequest, payload: Any) -> RawResponse:
        response = self.post_json(self.endpoint(request.model), payload, self.headers())
        if response.status_code >= 300:
            raise error_from_response(
                response.status_code, response.content, response.headers,
                provider=self.alias, secrets=[self.api_key],
            )
        try:
            data = response.json()
        except (ValueError, UnicodeDecodeError):
            raise MalformedResponseError(
                "The provider answered 200 with a body that is not JSON.",
                status_code=response.status_code, provider=self.alias,
            ) from None
        if not isinstance(data, dict):
            raise MalformedResponseError("The provider answered with JSON that is not an object.")
        return RawResponse(response.status_code, response.headers, data)

    # -- parsing ---------------------------------------------------------------------------
    def parse_response(self, request: ImageRequest, response: RawResponse) -> ImageResult:
        data = response.data
        common = {
            "response_id": data.get("responseId"),
            "model_version": data.get("modelVersion"),
        }
        candidates = data.get("candidates") or []
        if not candidates:
            feedback = data.get("promptFeedback") or {}
            block = feedback.get("blockReason")
            if block:
                return ImageResult(
                    "blocked", block_reason=block,
                    reason=f"The prompt was blocked ({block}).", **common,
                )
            return ImageResult(
                "failed", reason="The provider returned no candidates.", **common
            )
        candidate = candidates[0]
        finish = candidate.get("finishReason")
        parts = (candidate.get("content") or {}).get("parts") or []
        final_parts = [p for p in parts if not p.get("thought")]
        text = "".join(p.get("text", "") for p in final_parts if "text" in p).strip()
        image_part = None
        for part in final_parts:
            if "inlineData" in part:
                image_part = part["inlineData"]  # the last non-thought image wins
        if image_part is None:
            if finish in BLOCK_REASONS:
                return ImageResult(
                    "blocked", text=text, finish_reason=finish, block_reason=finish,
                    reason=f"The image was blocked ({finish}).", **common,
                )
            why = finish if finish and finish != "STOP" else "NO_IMAGE"
            detail = f" The model said: {text[:300]}" if text else ""
            return ImageResult(
                "failed", text=text, finish_reason=finish,
                reason=f"The model returned no image ({why}).{detail}", **common,
            )
        try:
            image = base64.b64decode(image_part.get("data") or "", validate=True)
        except (binascii.Error, ValueError):
            raise MalformedResponseError(
                "The image data in the answer is not valid base64.", provider=self.alias
            ) from None
        if not image:
            raise MalformedResponseError("The image in the answer is empty.", provider=self.alias)
        model_turn = {
            "role": "model",
            "parts": [_strip_data(p) for p in final_parts],
        }
        return ImageResult(
            "succeeded", image=image, mime_type=image_part.get("mimeType") or "image/png",
            text=text, finish_reason=finish, model_turn=model_turn, **common,
        )

    def parse_usage(self, response: RawResponse) -> Usage:
        return parse_usage_metadata(response.data.get("usageMetadata") or {})


def _strip_data(part: dict[str, Any]) -> dict[str, Any]:
    """A model part as it is kept for a follow-up turn: image bytes are stored as files,
    so the inline data is replaced by a marker the edit flow fills in again."""
    if "inlineData" in part:
        part = json.loads(json.dumps(part))
        part["inlineData"]["data"] = "@original"
    return part


def _category(name: str) -> str:
    name = name.upper()
    return name if name.startswith("HARM_CATEGORY_") else f"HARM_CATEGORY_{name}"


def _by_modality(details: list[dict[str, Any]] | None) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in details or []:
        modality = str(item.get("modality", "")).upper()
        counts[modality] = counts.get(modality, 0) + int(item.get("tokenCount") or 0)
    return counts


def parse_usage_metadata(meta: dict[str, Any]) -> Usage:
    """Token counts from ``usageMetadata``; modality details when present."""
    prompt = int(meta.get("promptTokenCount") or 0)
    output = int(meta.get("candidatesTokenCount") or 0)
    thoughts = int(meta.get("thoughtsTokenCount") or 0)
    prompt_details = _by_modality(meta.get("promptTokensDetails"))
    output_details = _by_modality(meta.get("candidatesTokensDetails"))
    if prompt_details:
        prompt_image = prompt_details.get("IMAGE", 0)
        prompt_text = prompt - prompt_image
    else:
        prompt_image, prompt_text = 0, prompt
    if output_details:
        output_image = output_details.get("IMAGE", 0)
        output_text = output - output_image
    else:  # an image model's output without details: count it as image tokens
        output_image, output_text = output, 0
    return Usage(
        prompt_tokens=prompt, prompt_text_tokens=prompt_text, prompt_image_tokens=prompt_image,
        output_tokens=output, output_text_tokens=output_text, output_image_tokens=output_image,
        thoughts_tokens=thoughts,
        total_tokens=int(meta.get("totalTokenCount") or prompt + output + thoughts),
    )
