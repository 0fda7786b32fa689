"""The fake server answers like Google: errors with Google's bodies, images of the right size."""

import base64

import httpx
import pytest

from django_nanobanana.testing.fake_gemini import DEFAULT_API_KEY, FakeGeminiServer, main
from tests.helpers import image_size, wait_for

PATH = "/v1beta/models/{model}:generateContent"


def body(prompt="a lighthouse", ratio=None, size=None, **extra):
    image_config = {}
    if ratio:
        image_config["aspectRatio"] = ratio
    if size:
        image_config["imageSize"] = size
    config = {"responseModalities": ["TEXT", "IMAGE"]}
    if image_config:
        config["imageConfig"] = image_config
    return {
        "contents": [{"role": "user", "parts": [{"text": prompt}]}],
        "generationConfig": config,
        **extra,
    }


def post(server, payload, model="gemini-nano-banana-2.1", key=DEFAULT_API_KEY, version="v1beta"):
    headers = {"x-goog-api-key": key} if key is not None else {}
    return httpx.post(
        f"{server.base_url}/{version}/models/{model}:generateContent",
        json=payload,
        headers=headers,
        timeout=30,
    )


def final_image(data):
    parts = data["candidates"][0]["content"]["parts"]
    images = [p for p in parts if "inlineData" in p and not p.get("thought")]
    return base64.b64decode(images[-1]["inlineData"]["data"])


@pytest.mark.parametrize(
    ("model", "ratio", "size", "expected"),
    [
        ("gemini-3.1-flash-image", "16:9", "512", (688, 384)),
        ("gemini-nano-banana-2.1", "16:9", "1K", (1376, 768)),
        ("gemini-nano-banana-2.1", "16:9", "2K", (2752, 1536)),
        ("gemini-nano-banana-2.1", "1:1", None, (1024, 1024)),
        ("gemini-3-pro-image", "9:16", "1K", (768, 1376)),
        ("gemini-3.1-flash-image", "4:1", "512", (1024, 256)),
    ],
)
def test_image_size_follows_model_ratio_and_size(fake_gemini, model, ratio, size, expected):
    response = post(fake_gemini, body(ratio=ratio, size=size), model=model)
    assert response.status_code == 200
    assert image_size(final_image(response.json())) == expected


def test_answer_has_usage_metadata_response_id_and_model_version(fake_gemini):
    data = post(fake_gemini, body(ratio="3:2", size="2K")).json()
    usage = data["usageMetadata"]
    assert usage["candidatesTokensDetails"][0] == {"modality": "IMAGE", "tokenCount": 1680}
    assert usage["thoughtsTokenCount"] > 0
    assert usage["totalTokenCount"] == (
        usage["promptTokenCount"] + usage["candidatesTokenCount"] + usage["thoughtsTokenCount"]
    )
    assert data["modelVersion"] == "gemini-nano-banana-2.1"
    assert len(data["responseId"]) >= 16
    assert data["candidates"][0]["finishReason"] == "STOP"


def test_images_are_deterministic_per_prompt(fake_gemini):
    a = final_image(post(fake_gemini, body("a red fox")).json())
    b = final_image(post(fake_gemini, body("a red fox")).json())
    c = final_image(post(fake_gemini, body("a blue whale")).json())
    assert a == b != c


def test_the_25_model_is_fixed_size_and_rejects_image_size(fake_gemini):
    ok = post(fake_gemini, body(ratio="16:9"), model="gemini-2.5-flash-image")
    assert image_size(final_image(ok.json())) == (1344, 768)
    bad = post(fake_gemini, body(ratio="16:9", size="2K"), model="gemini-2.5-flash-image")
    assert bad.status_code == 400
    assert bad.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_wrong_key_is_400_with_api_key_invalid(fake_gemini):
    response = post(fake_gemini, body(), key="not-the-key")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["details"][0]["reason"] == "API_KEY_INVALID"


def test_no_key_is_403_permission_denied(fake_gemini):
    response = post(fake_gemini, body(), key=None)
    assert response.status_code == 403
    assert response.json()["error"]["status"] == "PERMISSION_DENIED"


def test_key_in_query_string_is_accepted(fake_gemini):
    response = httpx.post(
        f"{fake_gemini.base_url}{PATH.format(model='gemini-3-pro-image')}?key={DEFAULT_API_KEY}",
        json=body(),
        timeout=30,
    )
    assert response.status_code == 200


def test_unknown_model_is_404(fake_gemini):
    response = post(fake_gemini, body(), model="gemini-9-ultra")
    assert response.status_code == 404
    assert "gemini-9-ultra" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("model", "ratio", "size"),
    [
        ("gemini-nano-banana-2.1", "7:3", None),
        ("gemini-3-pro-image", "4:1", None),  # 3.1 Flash only
        ("gemini-3-pro-image", "1:1", "512"),  # 3.1 Flash only
        ("gemini-nano-banana-2.1", "1:1", "1k"),  # K must be upper case
    ],
)
def test_bad_ratio_or_size_is_400_invalid_argument(fake_gemini, model, ratio, size):
    response = post(fake_gemini, body(ratio=ratio, size=size), model=model)
    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_vertex_only_image_config_fields_are_rejected(fake_gemini):
    payload = body(ratio="1:1")
    payload["generationConfig"]["imageConfig"]["outputMimeType"] = "image/jpeg"
    response = post(fake_gemini, payload)
    assert response.status_code == 400


def test_v1_path_is_served_too(fake_gemini):
    response = post(fake_gemini, body(), version="v1")
    assert response.status_code == 200


def test_requests_are_logged_without_the_key(fake_gemini):
    post(fake_gemini, body("logged prompt"))
    logged = fake_gemini.generate_requests()
    assert len(logged) == 1
    assert logged[0].body["contents"][0]["parts"][0]["text"] == "logged prompt"
    assert logged[0].headers["x-goog-api-key"] == "[present]"
    assert DEFAULT_API_KEY not in repr(logged)


def test_the_gate_holds_calls_until_enough_are_in_flight_at_once(fake_gemini):
    """What the worker tests count on: two concurrent calls pass the gate of 2 together;
    calls made one after another never have two in flight and each waits out the timeout."""
    from concurrent.futures import ThreadPoolExecutor

    fake_gemini.gate = 2
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda n: post(fake_gemini, body(f"gate {n}")), range(2)))
    assert [a.status_code for a in answers] == [200, 200]
    assert fake_gemini.max_in_flight == 2

    serial = FakeGeminiServer(api_key=DEFAULT_API_KEY).start()
    try:
        serial.gate, serial.gate_timeout = 2, 0.2
        for n in range(2):
            assert post(serial, body(f"serial {n}")).status_code == 200
        assert serial.max_in_flight == 1
        assert serial.in_flight == 0
    finally:
        serial.stop()


def test_stopping_the_server_lets_held_calls_go(fake_gemini):
    """A test that fails while a call waits at the gate must not leave it waiting (and
    its client hanging) for the whole gate timeout."""
    import threading

    fake_gemini.gate, fake_gemini.gate_timeout = 2, 300.0
    answers = []
    caller = threading.Thread(target=lambda: answers.append(post(fake_gemini, body("held"))))
    caller.start()
    wait_for(lambda: fake_gemini.in_flight == 1, 30, "the call never reached the gate")
    fake_gemini.stop()
    caller.join(timeout=60)  # far below the gate's 300 s
    assert not caller.is_alive() and answers[0].status_code == 200


def test_command_line_refuses_non_loopback_hosts():
    with pytest.raises(SystemExit):
        main(["--host", "0.0.0.0"])
