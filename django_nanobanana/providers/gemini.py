"""Google's Gemini Developer API (AI Studio keys): ``models/{model}:generateContent``.

Also home of the wire helpers the other Google backend (Vertex AI) shares: the payload,
the outcome mapping, usage parsing, Google's error bodies and :func:`edit_history` for
multi-turn edits. Besides generation it lists the models a key can call
(``GET models``, paginated) for ``nanobanana_models``.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
from django.utils.translation import gettext_lazy as _

from ..exceptions import RequestValidationError
from ..workers import trim_memory
from .base import Provider
from .errors import (
    MalformedResponseError,
    ModelNotFoundError,
    NoImageError,
    ProviderError,
    classify,
    excerpt,
    longest,
    parse_duration,
    parse_retry_after,
    redact,
)
from .files import upload_file
from .models_registry import ModelCapabilities, grounding_kinds, replacement_for
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


#: finishReason / blockReason values that mean "refused for safety or policy".
BLOCK_REASONS = frozenset(
    {
        "SAFETY",
        "IMAGE_SAFETY",
        "PROHIBITED_CONTENT",
        "IMAGE_PROHIBITED_CONTENT",
        "BLOCKLIST",
        "SPII",
        "RECITATION",
        "IMAGE_RECITATION",
    }
)
#: Everything else without an image (NO_IMAGE, IMAGE_OTHER, MAX_TOKENS, OTHER, ...) is
#: ``failed``.

SAFETY_CATEGORIES = (
    "HARASSMENT",
    "HATE_SPEECH",
    "SEXUALLY_EXPLICIT",
    "DANGEROUS_CONTENT",
    "CIVIC_INTEGRITY",
)
SAFETY_THRESHOLDS = (
    "BLOCK_LOW_AND_ABOVE",
    "BLOCK_MEDIUM_AND_ABOVE",
    "BLOCK_ONLY_HIGH",
    "BLOCK_NONE",
    "OFF",
)


class GeminiProvider(Provider):
    name = "gemini"
    options = frozenset({"API_VERSION", "SAFETY_SETTINGS"})
    supports_file_upload = True
    #: Google takes up to 100 MB of inline request data (since 2026-01-08; it was 20 MB).
    #: Base64 grows data by 4/3, so 72 MB of raw images leave room for the JSON around
    #: them; more goes through the Files API.
    max_inline_request_bytes = 72 * MB

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
        total = _history_inline_bytes(request.history) + sum(
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
                {"category": _category(cat), "threshold": str(threshold).upper()}
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
    def endpoint(self, model: str) -> str:
        base = str(self.config.get("BASE_URL") or "").rstrip("/")
        version = self.config.get("API_VERSION") or "v1beta"
        return f"{base}/{version}/models/{model}:generateContent"

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
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise MalformedResponseError(
                "The provider answered 200 with a body that is not JSON.",
                status_code=status,
                provider=self.alias,
            ) from None
        if not isinstance(data, dict):
            raise MalformedResponseError(
                "The provider answered with JSON that is not an object.", provider=self.alias
            )
        return RawResponse(status, headers, data, blobs)

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
            "parts": [_strip_data(p) for p in final_parts],
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
                _searched(c.get("groundingMetadata"))
                for c in response.data.get("candidates") or []
                if isinstance(c, dict)
            )
            else 0
        )
        return usage

    def error_from_response(self, response: httpx.Response) -> ProviderError:
        return parse_google_error(
            response.status_code,
            response.content,
            response.headers,
            provider=self.alias,
            secrets=self.secrets(),
        )

    # -- multi-turn editing and the model list ------------------------------------------------
    def edit_history(
        self,
        previous_prompt: str,
        previous_references: Sequence[ReferenceImage],
        model_turn: Mapping[str, Any],
        image: bytes,
        mime_type: str,
    ) -> list[dict[str, Any]] | None:
        return edit_history(previous_prompt, previous_references, model_turn, image, mime_type)

    def list_models(self, *, page_size: int = 50) -> list[ListedModel]:
        """Every page of ``GET {version}/models`` (``nextPageToken`` followed)."""
        self.check_credentials()
        base = str(self.config.get("BASE_URL") or "").rstrip("/")
        version = self.config.get("API_VERSION") or "v1beta"
        listed: list[ListedModel] = []
        token: str | None = None
        for _page in range(1000):  # a runaway server cannot loop us forever
            params = {"pageSize": str(page_size), **({"pageToken": token} if token else {})}

            def fetch(params: dict[str, str] = params) -> dict[str, Any]:
                response = self.http(
                    "GET", f"{base}/{version}/models", params=params, headers=self.auth_headers()
                )
                if response.status_code >= 300:
                    raise self.error_from_response(response)
                try:
                    data = response.json()
                except ValueError:
                    raise MalformedResponseError(
                        "models.list answered with a body that is not JSON.", provider=self.alias
                    ) from None
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


def grounding_tools(grounding: str | None) -> list[dict[str, Any]]:
    """The ``tools`` entry for Google Search grounding: web only, or web and image."""
    kinds = grounding_kinds(grounding) or ()
    if not kinds:
        return []
    if kinds == ("web",):
        return [{"googleSearch": {}}]
    search_types = {"webSearch": {}, **({"imageSearch": {}} if "image" in kinds else {})}
    return [{"googleSearch": {"searchTypes": search_types}}]


def _searched(metadata: Any) -> bool:
    """Whether a candidate's ``groundingMetadata`` says a search was run (billed)."""
    if not isinstance(metadata, dict):
        return False
    return bool(
        metadata.get("webSearchQueries")
        or metadata.get("imageSearchQueries")
        or metadata.get("groundingChunks")
        or metadata.get("searchEntryPoint")
    )


def _history_inline_bytes(history: Sequence[Mapping[str, Any]]) -> int:
    """Raw bytes of the inline images an edit's earlier turns carry."""
    return sum(
        len(part["inlineData"].get("data") or "") * 3 // 4
        for turn in history
        for part in turn.get("parts") or ()
        if isinstance(part, Mapping) and isinstance(part.get("inlineData"), Mapping)
    )


def model_unavailable(error: ProviderError, model: str, *, provider: str) -> ModelNotFoundError:
    """A 404 for a model: not retried, and the message says what to use instead."""
    target = replacement_for(model)
    hint = (
        f" Use {target.id} instead (nanobanana_models lists what this key can call)."
        if target
        else " Run nanobanana_models to see what this key can call."
    )
    return ModelNotFoundError(
        f"The model {model} is not available to this key.{hint} ({error.message})",
        status_code=error.status_code,
        reason="MODEL_NOT_FOUND",
        request_id=error.request_id,
        provider=provider,
    )


def parse_google_error(
    status_code: int,
    body: bytes | str,
    headers: Mapping[str, str],
    *,
    provider: str | None = None,
    secrets: Sequence[str | None] = (),
) -> ProviderError:
    """Map a non-2xx Google API answer (``{"error": {code, message, status, details}}``, or
    not JSON at all) to the right :class:`ProviderError`."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    request_id = headers.get("x-request-id") or headers.get("x-goog-request-id")
    status = None
    reasons: list[str] = []
    retry_delay: float | None = None
    per_day = False
    try:
        data = json.loads(text)
        error = data.get("error") if isinstance(data, dict) else None
    except ValueError:
        error = None
    if isinstance(error, dict):
        message = str(error.get("message") or "")
        status = error.get("status")
        for detail in error.get("details") or []:
            if not isinstance(detail, dict):
                continue
            kind = str(detail.get("@type", ""))
            if kind.endswith("ErrorInfo") and detail.get("reason"):
                reasons.append(str(detail["reason"]))
            elif kind.endswith("RetryInfo"):
                retry_delay = parse_duration(detail.get("retryDelay"))
            elif kind.endswith("QuotaFailure"):
                for violation in detail.get("violations") or []:
                    quota_id = str(violation.get("quotaId", "")) + str(
                        violation.get("quotaMetric", "")
                    )
                    if "perday" in quota_id.lower() or "per_day" in quota_id.lower():
                        per_day = True
    else:
        message = excerpt(text, status_code)
    reason = reasons[0] if reasons else status
    if status_code == 400 and "API_KEY_INVALID" in reasons:
        reason = "API_KEY_INVALID"
    return classify(
        status_code,
        redact(message, secrets),
        reason,
        per_day=per_day,
        auth_failure=reason == "API_KEY_INVALID",
        request_id=request_id,
        provider=provider,
        retry_after=longest(retry_delay, parse_retry_after(headers)),
    )


def user_parts(prompt: str, references: Sequence[ReferenceImage]) -> list[dict[str, Any]]:
    """The parts of a user turn: the prompt, then each reference (inline or by file URI)."""
    parts: list[dict[str, Any]] = [{"text": prompt}]
    for ref in references:
        if ref.file_uri:
            parts.append({"fileData": {"fileUri": ref.file_uri, "mimeType": ref.mime_type}})
        else:
            parts.append(
                {
                    "inlineData": {
                        "mimeType": ref.mime_type,
                        "data": base64.b64encode(ref.data).decode("ascii"),
                    }
                }
            )
    return parts


def edit_history(
    previous_prompt: str,
    previous_references: Sequence[ReferenceImage],
    model_turn: Mapping[str, Any],
    image: bytes,
    mime_type: str,
) -> list[dict[str, Any]]:
    """The two turns to send before a follow-up instruction in a multi-turn edit.

    Use it as ``ImageRequest(prompt=instruction, model=..., history=edit_history(...))``.

    * ``previous_prompt`` and ``previous_references``: the user turn that produced the
      image, as it was sent (references with a ``file_uri`` are sent by URI again; Files
      API uploads expire after 48 hours, so pass the bytes without URI after that).
    * ``model_turn``: :attr:`ImageResult.model_turn` of that generation, as stored: every
      part is sent back as it came, ``thoughtSignature`` values byte for byte (3.x models
      require them), and every ``inlineData.data`` equal to the ``"@original"`` marker is
      filled with ``image``.
    * ``image`` / ``mime_type``: the exact bytes the provider returned (the stored
      original, not a rendition) and their MIME type.

    Returns ``[user_turn, model_turn]``, new dicts; the arguments are not modified.
    """
    turn = json.loads(json.dumps(dict(model_turn)))
    turn["role"] = "model"
    encoded = base64.b64encode(image).decode("ascii")
    for part in turn.get("parts") or []:
        inline = part.get("inlineData") if isinstance(part, dict) else None
        if isinstance(inline, dict) and inline.get("data") == "@original":
            inline["data"] = encoded
            inline["mimeType"] = mime_type
    return [{"role": "user", "parts": user_parts(previous_prompt, previous_references)}, turn]


def check_safety_settings(safety: Mapping[str, str]) -> None:
    """Refuse unknown safety categories or thresholds, naming the allowed ones."""
    errors: list[str] = []
    for category, threshold in safety.items():
        short = category.upper().removeprefix("HARM_CATEGORY_")
        if short not in SAFETY_CATEGORIES:
            errors.append(
                str(
                    _("Unknown safety category %(value)s; allowed: %(allowed)s.")
                    % {"value": category, "allowed": ", ".join(SAFETY_CATEGORIES)}
                )
            )
        if str(threshold).upper() not in SAFETY_THRESHOLDS:
            errors.append(
                str(
                    _("Unknown safety threshold %(value)s; allowed: %(allowed)s.")
                    % {"value": threshold, "allowed": ", ".join(SAFETY_THRESHOLDS)}
                )
            )
    if errors:
        raise RequestValidationError({"safety_settings": errors})


def image_looks_complete(data: bytes) -> bool:
    """Cheap check that a PNG/JPEG/WebP was not cut short (unknown formats pass)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return data.rstrip(b"\x00").endswith(b"IEND\xaeB`\x82")
    if data.startswith(b"\xff\xd8"):
        return b"\xff\xd9" in data[-64:]
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return len(data) >= int.from_bytes(data[4:8], "little") + 8
    return True


#: A JSON member ``"data": "<base64>"`` long enough to be an image (not a thought signature).
_INLINE_DATA = re.compile(rb'"data"\s*:\s*"([A-Za-z0-9+/]{65536,}={0,2})"')


def split_inline_data(body: bytes) -> tuple[bytes, dict[str, bytes]]:
    """``body`` (an answer's JSON) with each large base64 ``data`` string replaced by a
    placeholder, and the decoded bytes by placeholder.

    A 4K image is ~25 MB of PNG, ~33 MB of base64: parsing the JSON as it is would hold
    the body, its text and the parsed string (~100 MB) before the bytes are even decoded.
    Decoding straight from the body holds the body and the image only. A string that is
    not valid base64 is left in place (the parser reports it as before).
    """
    blobs: dict[str, bytes] = {}
    pieces: list[bytes] = []
    position = 0
    view = memoryview(body)
    for match in _INLINE_DATA.finditer(body):
        try:
            decoded = base64.b64decode(view[match.start(1) : match.end(1)], validate=True)
        except (binascii.Error, ValueError):
            continue
        key = f"@inline-data-{len(blobs)}"
        blobs[key] = decoded
        pieces += [view[position : match.start(1)].tobytes(), key.encode()]
        position = match.end(1)
    if not blobs:
        return body, blobs
    pieces.append(view[position:].tobytes())
    view.release()
    return b"".join(pieces), blobs


def _strip_data(part: dict[str, Any]) -> dict[str, Any]:
    """A model part as it is kept for a follow-up turn: image bytes are stored as files,
    so the inline data is replaced by a marker the edit flow fills in again."""
    if "inlineData" in part:
        # Copied without the base64 text (33 MB for a 4K image): never serialised again.
        inline = {k: v for k, v in part["inlineData"].items() if k != "data"}
        rest = {k: v for k, v in part.items() if k != "inlineData"}
        part = json.loads(json.dumps({**rest, "inlineData": inline}))
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
        prompt_tokens=prompt,
        prompt_text_tokens=prompt_text,
        prompt_image_tokens=prompt_image,
        output_tokens=output,
        output_text_tokens=output_text,
        output_image_tokens=output_image,
        thoughts_tokens=thoughts,
        total_tokens=int(meta.get("totalTokenCount") or prompt + output + thoughts),
    )
