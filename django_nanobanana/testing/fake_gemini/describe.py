"""Text models describing an image (``generateContent`` on a text model): alt text from the
prompt and, with ``responseJsonSchema``, a JSON object following the schema, its focal
point at the image's brightest region. Its own logic, not the package's."""

from __future__ import annotations

import base64
import json
from typing import Any

from .. import fake_models
from .faults import FaultsMixin
from .images import brightest
from .wire import estimate_text_tokens, gemini_answer, usage_metadata


class DescribeMixin(FaultsMixin):
    def _describe(self, model: dict[str, Any], model_id: str, body: dict[str, Any]) -> None:
        """A text model's answer to a request with contents: with ``responseMimeType:
        application/json`` one text part holding a JSON object that follows
        ``responseJsonSchema``, else a sentence."""
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
        focal = brightest(images[0]) if images else (0.5, 0.5)
        if schema is not None:
            data = fill_schema(schema, subject=subject, focal=focal)
            text = json.dumps(data, ensure_ascii=False)
        else:
            text = f"An image of {subject[:200]}"
        out_tokens = estimate_text_tokens(text)
        prompt_tokens = estimate_text_tokens(prompt)
        image_tokens = len(images) * model["input_image_tokens"]
        thoughts = 0 if not level or str(level).lower() == "minimal" else 120
        usage = usage_metadata(prompt_tokens, image_tokens, [("TEXT", out_tokens)], thoughts)
        status = {"modelStage": model["stage"]}
        answer = gemini_answer(model_id, [{"text": text}], usage, status)
        self._send_json(200, self._fault_answer(answer))


def fill_schema(
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
            name: fill_schema(sub, subject=subject, focal=focal, path=(*path, name))
            for name, sub in (schema.get("properties") or {}).items()
        }
    if kind == "array":
        return [fill_schema(schema.get("items") or {}, subject=subject, focal=focal, path=path)]
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
