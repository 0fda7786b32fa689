"""References inline and through the Files API; multi-turn edits with thought signatures."""

from __future__ import annotations

import base64

import pytest

from django_nanobanana.exceptions import RequestValidationError
from django_nanobanana.providers import ImageRequest, ReferenceImage
from django_nanobanana.providers.errors import ProviderError
from django_nanobanana.providers.files import upload_file
from django_nanobanana.providers.gemini import edit_history

from .helpers import MODEL, b64, gemini, png


def test_small_references_are_sent_inline(fake_gemini, nanobanana_clock):
    refs = [ReferenceImage(png(colour=(i * 20, 0, 0)), "image/png") for i in range(3)]
    result = gemini(fake_gemini).generate(
        ImageRequest(prompt="merge", model=MODEL, references=refs)
    )
    assert result.outcome == "succeeded"
    parts = fake_gemini.generate_requests()[-1].body["contents"][-1]["parts"]
    assert parts[0] == {"text": "merge"}
    assert [p["inlineData"]["data"] for p in parts[1:]] == [b64(r.data) for r in refs]
    assert not fake_gemini.files


def test_large_references_go_through_the_files_api(fake_gemini, nanobanana_clock, settings):
    small, large = png(colour=(1, 2, 3)), png(256, 256, noise=7)
    assert len(small) < 2000 < len(large)
    result = gemini(fake_gemini, MAX_INLINE_REQUEST_BYTES=2000).generate(
        ImageRequest(
            prompt="use both",
            model=MODEL,
            references=[ReferenceImage(small, "image/png"), ReferenceImage(large, "image/png")],
        )
    )
    assert result.outcome == "succeeded"
    parts = fake_gemini.generate_requests()[-1].body["contents"][-1]["parts"]
    assert "inlineData" in parts[1]
    file_part = parts[2]["fileData"]
    assert file_part["mimeType"] == "image/png"
    ((_name, stored),) = fake_gemini.files.items()
    assert file_part["fileUri"] == stored["uri"]
    assert stored["data"] == large
    start, upload = [r for r in fake_gemini.requests if r.path.startswith("/upload/")]
    assert start.headers["x-goog-upload-protocol"] == "resumable"
    assert start.headers["x-goog-upload-command"] == "start"
    assert start.headers["x-goog-upload-header-content-length"] == str(len(large))
    assert start.headers["x-goog-upload-header-content-type"] == "image/png"
    assert upload.headers["x-goog-upload-command"] == "upload, finalize"
    assert upload.headers["x-goog-upload-offset"] == "0"
    assert upload.body == {"bytes": len(large)}


def test_file_upload_is_retried(fake_gemini, nanobanana_clock):
    fake_gemini.add_faults([{"status": 503, "target": "upload", "retry_after": 2}])
    uploaded = upload_file(gemini(fake_gemini), png(), "image/png")
    assert uploaded.uri in {f["uri"] for f in fake_gemini.files.values()}
    assert nanobanana_clock.sleeps == [2.0]


def test_reference_count_is_checked_before_any_request(fake_gemini):
    refs = [ReferenceImage(png(), "image/png")] * 4
    with pytest.raises(RequestValidationError, match="at most 3 reference images"):
        gemini(fake_gemini).generate(
            ImageRequest(prompt="x", model="gemini-2.5-flash-image", references=refs)
        )
    refs = [ReferenceImage(png(), "image/png")] * 15
    with pytest.raises(RequestValidationError, match="at most 14"):
        gemini(fake_gemini).generate(ImageRequest(prompt="x", model=MODEL, references=refs))
    assert fake_gemini.requests == []


def test_reference_byte_limits(fake_gemini, settings):
    settings.NANOBANANA = {**settings.NANOBANANA, "MODELS": {MODEL: {"MAX_REFERENCE_BYTES": 1000}}}
    too_big = ReferenceImage(b"x" * 1001, "image/png")
    with pytest.raises(RequestValidationError, match="at most 1000 bytes per image") as caught:
        gemini(fake_gemini).generate(ImageRequest(prompt="x", model=MODEL, references=[too_big]))
    assert "references" in caught.value.field_errors
    with pytest.raises(RequestValidationError, match="empty"):
        gemini(fake_gemini).generate(
            ImageRequest(prompt="x", model=MODEL, references=[ReferenceImage(b"", "image/png")])
        )
    assert fake_gemini.requests == []


def test_multi_turn_edit_sends_back_every_thought_signature(fake_gemini, nanobanana_clock):
    provider = gemini(fake_gemini)
    ref = ReferenceImage(png(colour=(9, 9, 9)), "image/png")
    first = provider.generate(
        ImageRequest(prompt="a red kite", model=MODEL, references=[ref], aspect_ratio="1:1")
    )
    answered = fake_gemini.generate_requests()  # the fake's answer is deterministic
    signatures = [
        p["thoughtSignature"] for p in first.model_turn["parts"] if "thoughtSignature" in p
    ]
    assert signatures and all(signatures)
    assert all(
        p["inlineData"]["data"] == "@original"
        for p in first.model_turn["parts"]
        if "inlineData" in p
    )

    history = edit_history("a red kite", [ref], first.model_turn, first.image, first.mime_type)
    second = provider.generate(
        ImageRequest(prompt="make the kite blue", model=MODEL, history=history)
    )
    assert second.outcome == "succeeded"
    sent = fake_gemini.generate_requests()[-1].body["contents"]
    assert len(answered) == 1
    assert [turn["role"] for turn in sent] == ["user", "model", "user"]
    assert sent[0]["parts"] == [
        {"text": "a red kite"},
        {"inlineData": {"mimeType": "image/png", "data": b64(ref.data)}},
    ]
    model_parts = sent[1]["parts"]
    assert [p.get("thoughtSignature") for p in model_parts if "thoughtSignature" in p] == signatures
    image_part = next(p for p in model_parts if "inlineData" in p)
    assert base64.b64decode(image_part["inlineData"]["data"]) == first.image
    assert not any(p.get("thought") for p in model_parts)
    assert sent[2] == {"role": "user", "parts": [{"text": "make the kite blue"}]}
    # the stored turn was not modified
    assert all(
        p["inlineData"]["data"] == "@original"
        for p in first.model_turn["parts"]
        if "inlineData" in p
    )


def test_history_images_count_against_the_reference_limit(fake_gemini):
    ref = ReferenceImage(png(), "image/png")
    history = edit_history(
        "x", [ref] * 3, {"role": "model", "parts": [{"text": "ok"}]}, b"", "image/png"
    )
    with pytest.raises(RequestValidationError, match="at most 3"):
        gemini(fake_gemini).generate(
            ImageRequest(
                prompt="y", model="gemini-2.5-flash-image", references=[ref], history=history
            )
        )


def test_an_upload_url_on_another_host_is_refused_without_sending_the_key(
    fake_gemini, nanobanana_clock
):
    # The provider talks to "localhost"; the fake names its upload URL on 127.0.0.1:
    # the same machine, but not the configured host, so the bytes and key stay here.
    base = fake_gemini.base_url.replace("127.0.0.1", "localhost")
    assert base != fake_gemini.base_url
    with pytest.raises(ProviderError) as info:
        upload_file(gemini(fake_gemini, BASE_URL=base), png(), "image/png")
    assert info.value.reason == "UPLOAD_URL_REFUSED" and not info.value.retryable
    uploads = [r for r in fake_gemini.requests if r.path.startswith("/upload/")]
    assert len(uploads) == 1  # the start, not retried; nothing sent to the named URL
    assert "upload_id" not in uploads[0].path
    assert not fake_gemini.files
