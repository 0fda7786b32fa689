"""Image generation (``generateContent`` on an image model, Developer API and Vertex): the
request checked as Google checks it, and the answer with its image, thought parts,
``usageMetadata``, ``modelStatus`` and, for grounded requests, ``groundingMetadata``."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from .. import fake_models
from .describe import DescribeMixin
from .files import FilesMixin
from .wire import estimate_text_tokens, gemini_answer, usage_metadata


class GenerateMixin(DescribeMixin, FilesMixin):
    def _generate(self, model_id: str, body: Any) -> None:
        text_model = fake_models.TEXT_SERVED.get(model_id)
        model = text_model or fake_models.SERVED.get(model_id)
        if model is None:  # unknown, or shut down (fake_models.RETIRED): Google's 404
            self._not_found(model_id)
            return
        if not isinstance(body, dict) or not body.get("contents"):
            self._invalid("* GenerateContentRequest.contents: contents is not specified")
            return
        if text_model is not None:
            self._describe(text_model, model_id, body)
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
            from ..fake_c2pa import sign_generated  # optional extra: c2pa-python, cryptography

            image = sign_generated(image, mime, model=model_id)
        answer = self._answer(model, model_id, prompt, image, mime, effective_size, ref_count, body)
        if search:
            answer["candidates"][0]["groundingMetadata"] = _grounding_metadata(prompt, search)
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
            text_tokens_out = estimate_text_tokens(text)
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
        prompt_text_tokens = estimate_text_tokens(prompt + system_text + history_text)
        prompt_image_tokens = ref_count * model["input_image_tokens"]
        image_tokens = model["image_tokens"][size]
        thoughts = (100 + int(digest[:4], 16) % 200) if thinking else 0
        out = [("IMAGE", image_tokens)] + ([("TEXT", text_tokens_out)] if text_tokens_out else [])
        usage = usage_metadata(prompt_text_tokens, prompt_image_tokens, out, thoughts)
        return gemini_answer(model_id, parts, usage, _model_status(model))


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
