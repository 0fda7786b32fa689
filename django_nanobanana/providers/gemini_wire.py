"""The Gemini API's wire format, shared by the Developer API (:mod:`.gemini`), Vertex AI
(:mod:`.vertex`) and the Batch API (:mod:`.batch_api`).

What a request's parts look like (:func:`user_parts`, :func:`edit_history`, grounding
tools, safety categories), what comes back (:func:`parse_usage_metadata`,
:func:`split_inline_data`, the parts kept for a follow-up edit) and what Google's error
bodies mean (:func:`parse_google_error`). Functions of plain data: the HTTP exchange and
the step sequence are :class:`~.gemini.GeminiProvider`'s.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _

from ..exceptions import RequestValidationError
from .errors import (
    ErrorFacts,
    ModelNotFoundError,
    ProviderError,
    error_object,
    error_parser,
    excerpt,
    longest,
    parse_duration,
    parse_retry_after,
)
from .models_registry import grounding_kinds, replacement_for
from .types import ReferenceImage, Usage

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


def grounding_tools(grounding: str | None) -> list[dict[str, Any]]:
    """The ``tools`` entry for Google Search grounding: web only, or web and image."""
    kinds = grounding_kinds(grounding) or ()
    if not kinds:
        return []
    if kinds == ("web",):
        return [{"googleSearch": {}}]
    search_types = {"webSearch": {}, **({"imageSearch": {}} if "image" in kinds else {})}
    return [{"googleSearch": {"searchTypes": search_types}}]


def grounding_searched(metadata: Any) -> bool:
    """Whether a candidate's ``groundingMetadata`` says a search was run (billed)."""
    if not isinstance(metadata, dict):
        return False
    return bool(
        metadata.get("webSearchQueries")
        or metadata.get("imageSearchQueries")
        or metadata.get("groundingChunks")
        or metadata.get("searchEntryPoint")
    )


def history_inline_bytes(history: Sequence[Mapping[str, Any]]) -> int:
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


@error_parser
def parse_google_error(status_code: int, text: str, headers: Mapping[str, str]) -> ErrorFacts:
    """Map a non-2xx Google API answer (``{"error": {code, message, status, details}}``, or
    not JSON at all) to the right :class:`ProviderError`: called as
    ``parse_google_error(status_code, body, headers, provider=..., secrets=...)``."""
    status = None
    reasons: list[str] = []
    retry_delay: float | None = None
    per_day = False
    error = error_object(text)
    if error is not None:
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
    return ErrorFacts(
        message,
        reason,
        per_day=per_day,
        auth_failure=reason == "API_KEY_INVALID",
        request_id=headers.get("x-request-id") or headers.get("x-goog-request-id"),
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


def stored_model_part(part: dict[str, Any]) -> dict[str, Any]:
    """A model part as it is kept for a follow-up turn: image bytes are stored as files,
    so the inline data is replaced by a marker the edit flow fills in again."""
    if "inlineData" in part:
        # Copied without the base64 text (33 MB for a 4K image): never serialised again.
        inline = {k: v for k, v in part["inlineData"].items() if k != "data"}
        rest = {k: v for k, v in part.items() if k != "inlineData"}
        part = json.loads(json.dumps({**rest, "inlineData": inline}))
        part["inlineData"]["data"] = "@original"
    return part


def harm_category(name: str) -> str:
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
