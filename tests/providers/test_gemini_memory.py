"""The answer's base64 image is decoded once, straight from the body."""

import base64
import json

from django_nanobanana.providers.gemini import split_inline_data


def body(*datas):
    parts = [{"inlineData": {"mimeType": "image/png", "data": d}} for d in datas]
    return json.dumps({"candidates": [{"content": {"parts": [{"text": "hi"}, *parts]}}]}).encode()


def test_large_base64_strings_are_taken_out_and_decoded():
    one, two = b"\x89PNG" + b"a" * 70_000, b"\x89PNG" + b"b" * 80_000
    text, blobs = split_inline_data(
        body(base64.b64encode(one).decode(), base64.b64encode(two).decode())
    )
    data = json.loads(text)
    keys = [p["inlineData"]["data"] for p in data["candidates"][0]["content"]["parts"][1:]]
    assert [blobs[k] for k in keys] == [one, two]
    assert len(text) < 1000


def test_small_or_invalid_strings_stay_for_the_parser():
    small = base64.b64encode(b"tiny").decode()
    broken = "A" * 70_001  # not a multiple of four: invalid base64
    raw = body(small, broken)
    text, blobs = split_inline_data(raw)
    assert blobs == {} and text == raw
