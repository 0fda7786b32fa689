"""Google's Gemini Developer API (AI Studio keys): ``models/{model}:generateContent``.

:class:`GeminiProvider` fills in the base class's steps: the payload, the transport (large
references through the Files API, :mod:`.files`), the outcome mapping and usage. Vertex AI
(:mod:`.vertex`) is a subclass. The wire format they share (request parts,
:func:`edit_history` for multi-turn edits, usage metadata, Google's error bodies) is
:mod:`.gemini_wire`; its public functions are importable from here too. Besides generation
it lists the models a key can call (``GET models``, paginated) for ``nanobanana_models``.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from collections.abc import Mapping
from typing import Any

import httpx

from ..workers import trim_memory
from .base import Provider
from .errors import (
    MalformedResponseError,
    ModelNotFoundError,
    NoImageError,
)
from .files import upload_file
from .gemini_wire import (
    BLOCK_REASONS,
    check_safety_settings,
    edit_history,
    grounding_searched,
    grounding_tools,
    harm_category,
    history_inline_bytes,
    model_unavailable,
    parse_google_error,
    parse_usage_metadata,
    split_inline_data,
    stored_model_part,
    user_parts,
)
from .images import image_looks_complete
from .models_registry import ModelCapabilities
from .types import (
    DescribeRequest,
    DescriptionResult,
    ImageRequest,
    ImageResult,
    ListedModel,
    RawResponse,
    ReferenceImage,
    Usage,
    replace_references,
)

MB = 1024 * 1024


class NoTextError(NoImageError):
    """A describe call answered without usable text (blocked, empty): not retried."""


class GeminiProvider(Provider):
    name = "gemini"
    options = frozenset({"API_VERSION", "SAFETY_SETTINGS"})
    supports_file_upload = True
    #: Google takes up to 100 MB of inline request data (since 2026-01-08; it was 20 MB).
    #: Base64 grows data by 4/3, so 72 MB of raw images leave room for the JSON around
    #: them; more goes through the Files API.
    max_inline_request_bytes = 72 * MB
    error_parser = staticmethod(parse_google_error)

    # -- checks ---------------------------------------------------------------------------
    def check_request(self, request: ImageRequest) -> ModelCapabilities:
        capabilities = super().check_request(request)
        check_safety_settings(self.safety_settings(request))
        return capabilities

    def safety_settings(self, request: ImageRequest) -> Mapping[str, str]:
        """The request's safety settings, else the provider's ``SAFETY_SETTINGS``."""
        return request.safety_settings or self.config.get("SAFETY_SETTINGS") or {}

    # -- references: inline when small, the Files API when large --------------------------
    def prepare_request(
        self, request: ImageRequest, capabilities: ModelCapabilities
    ) -> ImageRequest:
        """Convert what the model does not take, then keep the request's inline data under
        the limit: the images of an edit's history count too; the largest references, then
        the history's own input images, go through the Files API when it would not fit."""
        request = super().prepare_request(request, capabilities)
        if not self.supports_file_upload:
            return request
        limit = self.max_inline_request_bytes or 0
        total = history_inline_bytes(request.history) + sum(
            len(ref.data) for ref in request.references if not ref.file_uri
        )
        if total <= limit:
            return request
        references = list(request.references)
        for index in sorted(range(len(references)), key=lambda i: -len(references[i].data)):
            ref = references[index]
            if total <= limit:
                break
            if ref.file_uri:
                continue
            uploaded = upload_file(self, ref.data, ref.mime_type)
            references[index] = ReferenceImage(ref.data, uploaded.mime_type, uploaded.uri)
            total -= len(ref.data)
        history = [json.loads(json.dumps(dict(turn))) for turn in request.history]
        for turn in history:
            if total <= limit or turn.get("role", "user") != "user":
                continue
            for part in turn.get("parts") or []:
                inline = part.get("inlineData") if isinstance(part, dict) else None
                if total <= limit or not isinstance(inline, dict):
                    continue
                data = base64.b64decode(inline.get("data") or "")
                uploaded = upload_file(self, data, inline.get("mimeType") or "image/png")
                part.pop("inlineData")
                part["fileData"] = {"fileUri": uploaded.uri, "mimeType": uploaded.mime_type}
                total -= len(data)
        return dataclasses.replace(replace_references(request, references), history=history)

    # -- payload --------------------------------------------------------------------------
    def build_payload(self, request: ImageRequest, capabilities: ModelCapabilities) -> dict:
        parts = user_parts(request.prompt, request.references)
        payload: dict[str, Any] = {
            "contents": [*request.history, {"role": "user", "parts": parts}],
        }
        if request.system_instruction:
            payload["systemInstruction"] = {"parts": [{"text": request.system_instruction}]}
        safety = self.safety_settings(request)
        if safety:
            payload["safetySettings"] = [
                {"category": harm_category(cat), "threshold": str(threshold).upper()}
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
        tools = grounding_tools(request.grounding)
        if tools:
            payload["tools"] = tools
        return payload

    # -- transport -------------------------------------------------------------------------
    def api_url(self, path: str, *, upload: bool = False) -> str:
        """``{BASE_URL}/{API_VERSION}/{path}`` of the Developer API; with ``upload``, the
        Files API's ``{BASE_URL}/upload/{API_VERSION}/{path}``."""
        base = str(self.config.get("BASE_URL") or "").rstrip("/")
        version = self.config.get("API_VERSION") or "v1beta"
        return f"{base}/{'upload/' if upload else ''}{version}/{path}"

    def endpoint(self, model: str) -> str:
        return self.api_url(f"models/{model}:generateContent")

    def auth_headers(self) -> dict[str, str]:
        return {"x-goog-api-key": self.api_key or ""}

    def headers(self) -> dict[str, str]:
        return {
            **(self.config.get("EXTRA_HEADERS") or {}),
            **self.auth_headers(),
            "content-type": "application/json",
        }

    def send(self, request: ImageRequest, payload: Any) -> RawResponse:
        response = self.post_json(self.endpoint(request.model), payload, self.headers())
        if response.status_code >= 300:
            error = self.error_from_response(response)
            if isinstance(error, ModelNotFoundError):
                raise model_unavailable(error, request.model, provider=self.alias)
            raise error
        status, headers = response.status_code, response.headers
        trim_memory()  # the chunks the body was read in (33 MB for 4K) are free now
        body, blobs = split_inline_data(response.content)
        # The body as received (33 MB for a 4K image) is not needed any more. An httpx
        # response and its stream refer to each other, so it would live until the next
        # garbage collection: break the cycle and let it go now.
        response.stream = httpx.ByteStream(b"")
        del response
        return RawResponse(status, headers, self.json_object(body, status_code=status), blobs)

    # -- parsing ---------------------------------------------------------------------------
    def parse_response(self, request: ImageRequest, response: RawResponse) -> ImageResult:
        data = response.data
        common: dict[str, Any] = {
            "response_id": data.get("responseId"),
            "model_version": data.get("modelVersion"),
            "model_status": data.get("modelStatus")
            if isinstance(data.get("modelStatus"), dict)
            else None,
        }
        candidates = data.get("candidates") or []
        if not candidates:
            feedback = data.get("promptFeedback") or {}
            block = feedback.get("blockReason")
            if block:
                return ImageResult(
                    "blocked",
                    block_reason=block,
                    reason=f"The prompt was blocked ({block}).",
                    **common,
                )
            return ImageResult("failed", reason="The provider returned no candidates.", **common)
        candidate = candidates[0]
        if isinstance(candidate.get("groundingMetadata"), dict):
            common["grounding_metadata"] = candidate["groundingMetadata"]
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
                    "blocked",
                    text=text,
                    finish_reason=finish,
                    block_reason=finish,
                    reason=f"The image was blocked ({finish}).",
                    **common,
                )
            why = finish if finish and finish != "STOP" else "NO_IMAGE"
            detail = f" The model said: {text[:300]}" if text else ""
            return ImageResult(
                "failed",
                text=text,
                finish_reason=finish,
                reason=f"The model returned no image ({why}).{detail}",
                **common,
            )
        try:
            encoded = image_part.get("data") or ""
            image = (
                response.blobs[encoded]
                if encoded in response.blobs
                else base64.b64decode(encoded, validate=True)
            )
        except (binascii.Error, ValueError, TypeError):
            raise MalformedResponseError(
                "The image data in the answer is not valid base64.", provider=self.alias
            ) from None
        if not image:
            raise MalformedResponseError("The image in the answer is empty.", provider=self.alias)
        if not image_looks_complete(image):
            raise MalformedResponseError(
                "The image in the answer is truncated.", provider=self.alias
            ) from None
        model_turn = {
            "role": "model",
            "parts": [stored_model_part(p) for p in final_parts],
        }
        return ImageResult(
            "succeeded",
            image=image,
            mime_type=image_part.get("mimeType") or "image/png",
            text=text,
            finish_reason=finish,
            model_turn=model_turn,
            **common,
        )

    # -- describing an image (a text model, structured output) --------------------------------
    def build_describe_payload(self, request: DescribeRequest) -> dict:
        image = request.image
        parts: list[dict[str, Any]] = [
            {"text": request.prompt},
            {
                "inlineData": {
                    "mimeType": image.mime_type,
                    "data": base64.b64encode(image.data).decode("ascii"),
                }
            },
        ]
        generation: dict[str, Any] = {
            "responseMimeType": "application/json",
            "responseJsonSchema": dict(request.schema),
        }
        if request.thinking_level:
            generation["thinkingConfig"] = {"thinkingLevel": request.thinking_level}
        return {"contents": [{"role": "user", "parts": parts}], "generationConfig": generation}

    def parse_description(
        self, request: DescribeRequest, response: RawResponse
    ) -> DescriptionResult:
        """The JSON object of the answer's text. A blocked or empty answer, or text that is
        not a JSON object, is a :class:`MalformedResponseError` (retried, and billed)."""
        data = response.data
        candidates = data.get("candidates") or []
        if not candidates:
            block = (data.get("promptFeedback") or {}).get("blockReason")
            raise NoTextError(
                f"The text model gave no answer ({block or 'no candidates'}).",
                reason=str(block or "NO_CANDIDATES"),
                provider=self.alias,
            )
        candidate = candidates[0]
        finish = candidate.get("finishReason")
        parts = (candidate.get("content") or {}).get("parts") or []
        text = "".join(
            p.get("text", "") for p in parts if isinstance(p, dict) and not p.get("thought")
        )
        if not text.strip():
            raise NoTextError(
                f"The text model returned no text ({finish or 'empty'}).",
                reason=str(finish or "NO_TEXT"),
                provider=self.alias,
            )
        try:
            parsed = json.loads(text)
        except ValueError:
            raise MalformedResponseError(
                "The text model's answer is not valid JSON.", provider=self.alias
            ) from None
        if not isinstance(parsed, dict):
            raise MalformedResponseError(
                "The text model's answer is not a JSON object.", provider=self.alias
            )
        return DescriptionResult(
            parsed,
            finish_reason=finish,
            response_id=data.get("responseId"),
            model_version=data.get("modelVersion"),
        )

    def parse_usage(self, response: RawResponse) -> Usage:
        usage = parse_usage_metadata(response.data.get("usageMetadata") or {})
        usage.grounded_prompts = (
            1
            if any(
                grounding_searched(c.get("groundingMetadata"))
                for c in response.data.get("candidates") or []
                if isinstance(c, dict)
            )
            else 0
        )
        return usage

    # -- multi-turn editing and the model list ------------------------------------------------
    edit_history = staticmethod(edit_history)

    def list_models(self, *, page_size: int = 50) -> list[ListedModel]:
        """Every page of ``GET {version}/models`` (``nextPageToken`` followed)."""
        self.check_credentials()
        listed: list[ListedModel] = []
        token: str | None = None
        for _page in range(1000):  # a runaway server cannot loop us forever
            params = {"pageSize": str(page_size), **({"pageToken": token} if token else {})}

            def fetch(params: dict[str, str] = params) -> dict[str, Any]:
                data = self.exchange_json(
                    "GET",
                    self.api_url("models"),
                    params=params,
                    headers=self.auth_headers(),
                    not_json="models.list answered with a body that is not JSON.",
                )
                if not isinstance(data, dict):
                    raise MalformedResponseError(
                        "models.list answered with JSON that is not an object.", provider=self.alias
                    )
                return data

            data, _attempts = self.call_with_retries(fetch)
            for item in data.get("models") or []:
                if not isinstance(item, dict) or not item.get("name"):
                    continue
                listed.append(
                    ListedModel(
                        id=str(item["name"]).removeprefix("models/"),
                        display_name=str(item.get("displayName") or ""),
                        version=str(item.get("version") or ""),
                        methods=tuple(item.get("supportedGenerationMethods") or ()),
                        raw=item,
                    )
                )
            token = data.get("nextPageToken") or None
            if not token:
                break
        return listed
