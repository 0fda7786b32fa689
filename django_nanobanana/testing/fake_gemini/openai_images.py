"""The OpenAI-compatible images API (``POST /v1/images/generations``), on the same models
and pixel sizes as Gemini's, with OpenAI's error bodies."""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any

from .. import fake_models
from .faults import FaultsMixin
from .wire import estimate_text_tokens, load_json, openai_error


class OpenAIMixin(FaultsMixin):
    def _openai(self, raw: bytes) -> None:
        auth = self.headers.get("Authorization") or ""
        if auth != f"Bearer {self.server.api_key}":
            self._send_json(
                401,
                openai_error("Incorrect API key provided.", "invalid_api_key"),
            )
            return
        if self._apply_fault("generate", "openai"):
            return
        body = load_json(raw)  # not JSON: NOT_JSON, refused as no prompt
        if not isinstance(body, dict) or not body.get("prompt"):
            self._send_json(
                400,
                openai_error("'prompt' is required.", None),
            )
            return
        self._logged.body = body
        model = fake_models.SERVED.get(str(body.get("model")))
        if model is None:
            self._send_json(
                404,
                openai_error(f"The model {body.get('model')} does not exist.", "model_not_found"),
            )
            return
        sizes = {f"{w}x{h}" for table in model["pixels"].values() for w, h in table.values()}
        size = str(body.get("size") or "1024x1024")
        if size not in sizes:
            self._send_json(
                400,
                openai_error(f"Invalid size {size}.", "invalid_size"),
            )
            return
        width, height = (int(v) for v in size.split("x"))
        image, _mime = self.server.image_for(
            str(body["prompt"]), width, height, seed=body.get("seed")
        )
        encoded = base64.b64encode(image).decode("ascii")
        fault = self._fault or {}
        items: list[dict[str, Any]] = [{"b64_json": encoded}]
        if fault.get("kind") == "truncated_base64":
            items = [{"b64_json": encoded[: len(encoded) // 2 // 4 * 4]}]
        elif fault.get("kind") in ("no_image", "finish"):
            items = []
        prompt_tokens = estimate_text_tokens(str(body["prompt"]))
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
