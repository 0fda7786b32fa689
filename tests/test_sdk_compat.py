"""The official google-genai SDK, pointed at the fake server, gets an image from it: the
fake speaks the same protocol as Google."""

import io

from google import genai
from google.genai import types
from PIL import Image


def test_official_sdk_generates_an_image_from_the_fake(fake_gemini):
    client = genai.Client(
        api_key=fake_gemini.api_key,
        http_options=types.HttpOptions(base_url=fake_gemini.base_url),
    )
    response = client.models.generate_content(
        model="gemini-nano-banana-2.1",
        contents="A lighthouse on a cliff at dawn",
        config=types.GenerateContentConfig(
            response_modalities=["TEXT", "IMAGE"],
            image_config=types.ImageConfig(aspect_ratio="16:9", image_size="1K"),
        ),
    )
    images = [
        p.inline_data
        for p in response.candidates[0].content.parts
        if p.inline_data and not p.thought
    ]
    assert images, "the SDK found no image in the fake's answer"
    with Image.open(io.BytesIO(images[-1].data)) as image:
        assert image.size == (1376, 768)
    assert response.usage_metadata.candidates_token_count >= 1120
    assert response.response_id
    sent = fake_gemini.generate_requests()[-1]
    # SDK releases differ in their default API version; the fake serves both.
    assert sent.path in (
        "/v1beta/models/gemini-nano-banana-2.1:generateContent",
        "/v1/models/gemini-nano-banana-2.1:generateContent",
    )
    assert sent.body["generationConfig"]["imageConfig"] == {
        "aspectRatio": "16:9",
        "imageSize": "1K",
    }


def test_official_sdk_sees_google_errors_from_the_fake(fake_gemini):
    client = genai.Client(
        api_key="wrong", http_options=types.HttpOptions(base_url=fake_gemini.base_url)
    )
    try:
        client.models.generate_content(model="gemini-nano-banana-2.1", contents="x")
    except genai.errors.ClientError as exc:
        assert exc.code == 400
        assert "API key not valid" in str(exc)
    else:  # pragma: no cover - the assertion message is the point
        raise AssertionError("the SDK accepted a wrong key")
