"""Our GeminiProvider and the official google-genai SDK, given the same inputs, send the
same generateContent body to the fake server: compared field by field."""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest
from google import genai
from google.genai import types

from django_nanobanana.providers import ImageRequest, ReferenceImage
from django_nanobanana.providers.gemini import edit_history

from .helpers import MODEL, gemini, png


@pytest.fixture
def sdk(fake_gemini):
    return genai.Client(
        api_key=fake_gemini.api_key,
        http_options=types.HttpOptions(base_url=fake_gemini.base_url, api_version="v1beta"),
    )


def sdk_config(**image_config: Any) -> types.GenerateContentConfig:
    return types.GenerateContentConfig(
        response_modalities=["TEXT", "IMAGE"],
        image_config=types.ImageConfig(**image_config) if image_config else None,
    )


def camel(value: Any) -> Any:
    """Proto3 JSON accepts a field as lowerCamelCase or as its proto name (snake_case), and
    google-genai 3.x sends some nested ones as proto names (``inlineData.mime_type``). Same
    field on the wire for Google: compare in one spelling."""
    if isinstance(value, dict):
        return {_camel(k): camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel(v) for v in value]
    return value


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(word.capitalize() for word in rest)


def normalise(body: dict[str, Any]) -> dict[str, Any]:
    """Only what legitimately differs between two correct clients."""
    body = camel(copy.deepcopy(body))
    for turn in body.get("contents", []):
        for part in turn.get("parts", []):
            # Bytes fields: the SDK holds them as bytes and encodes them as URL-safe
            # base64; we send standard base64 (and signatures exactly as Google gave
            # them). Proto3 JSON accepts both alphabets for bytes: compare the bytes.
            if part.get("thoughtSignature") is not None:
                part["thoughtSignature"] = _bytes(part["thoughtSignature"])
            if "inlineData" in part:
                part["inlineData"]["data"] = _bytes(part["inlineData"]["data"])
    return body


def _bytes(value: str) -> bytes:
    return base64.urlsafe_b64decode(value.replace("+", "-").replace("/", "_") + "==")


def both(
    fake_gemini, sdk, request: ImageRequest, contents: Any, config: types.GenerateContentConfig
) -> tuple[dict, dict]:
    gemini(fake_gemini).generate(request)
    sdk.models.generate_content(model=request.model, contents=contents, config=config)
    ours, theirs = fake_gemini.generate_requests()[-2:]
    assert ours.path == theirs.path == f"/v1beta/models/{request.model}:generateContent"
    return normalise(ours.body), normalise(theirs.body)


def test_text_to_image(fake_gemini, sdk, nanobanana_clock):
    ours, theirs = both(
        fake_gemini,
        sdk,
        ImageRequest(prompt="A lighthouse", model=MODEL),
        "A lighthouse",
        sdk_config(),
    )
    assert ours == theirs


def test_aspect_ratio_and_size(fake_gemini, sdk, nanobanana_clock):
    ours, theirs = both(
        fake_gemini,
        sdk,
        ImageRequest(prompt="A lighthouse", model=MODEL, aspect_ratio="21:9", image_size="2K"),
        "A lighthouse",
        sdk_config(aspect_ratio="21:9", image_size="2K"),
    )
    assert ours["generationConfig"] == theirs["generationConfig"]
    assert ours == theirs


def test_inline_references(fake_gemini, sdk, nanobanana_clock):
    refs = [png(colour=(10, 20, 30)), png(32, 48, colour=(200, 100, 0))]
    ours, theirs = both(
        fake_gemini,
        sdk,
        ImageRequest(
            prompt="Put the cat on the sofa",
            model=MODEL,
            aspect_ratio="1:1",
            references=[ReferenceImage(r, "image/png") for r in refs],
        ),
        [
            "Put the cat on the sofa",
            *[types.Part.from_bytes(data=r, mime_type="image/png") for r in refs],
        ],
        sdk_config(aspect_ratio="1:1"),
    )
    assert ours["contents"] == theirs["contents"]
    assert ours == theirs


def test_multi_turn_edit_with_thought_signatures(fake_gemini, sdk, nanobanana_clock):
    provider = gemini(fake_gemini)
    first = provider.generate(ImageRequest(prompt="A red kite", model=MODEL))
    history = edit_history("A red kite", [], first.model_turn, first.image, first.mime_type)
    # The SDK user keeps the model's Content from the first answer and sends it back.
    fake_answer = fake_gemini.generate_requests()  # noqa: F841 - for debugging failures
    previous = sdk.models.generate_content(model=MODEL, contents="A red kite", config=sdk_config())
    model_content = previous.candidates[0].content
    model_content.parts = [p for p in model_content.parts if not p.thought]
    sdk_contents = [
        types.Content(role="user", parts=[types.Part(text="A red kite")]),
        model_content,
        types.Content(role="user", parts=[types.Part(text="Make it blue")]),
    ]
    ours, theirs = both(
        fake_gemini,
        sdk,
        ImageRequest(prompt="Make it blue", model=MODEL, history=history),
        sdk_contents,
        sdk_config(),
    )
    model_turn = ours["contents"][1]
    assert any("thoughtSignature" in p for p in model_turn["parts"])
    assert ours["contents"] == theirs["contents"]
    assert ours == theirs
