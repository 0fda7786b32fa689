"""A fake Gemini API server on loopback that speaks the real wire format.

It validates requests the way Google does (key, model, aspect ratio, image size), answers
with a real, deterministic image of the right pixel size, realistic ``usageMetadata``, a
``responseId`` and ``modelVersion``, and keeps a log of what it saw. Run it standalone::

    python -m django_nanobanana.testing.fake_gemini --port 8765 --api-key fake-key

or use the ``fake_gemini`` pytest fixture (``django_nanobanana.testing.pytest_plugin``).

Besides the Developer API it serves the Vertex AI path (``/v1beta1/projects/{p}/locations/
{l}/publishers/google/models/{m}:generateContent``, bearer tokens from its own OAuth token
endpoint ``POST /token``), an OpenAI-compatible ``POST /v1/images/generations``, and the
Files API resumable upload (``POST /upload/v1beta/files``), the Batch API and
``models.list`` (``GET /v1beta/models``, paginated with ``pageSize``/``nextPageToken``).

Its model table (:mod:`.fake_models`) is its own, written from Google's documentation and
never imported from the package's registry, so a wrong registry entry fails a test. Shut
down ids answer 404 ``NOT_FOUND`` as Google's do; every answer carries ``modelStatus``;
``tools: [{"googleSearch": ...}]`` is answered with ``groundingMetadata``.

Faults
------
A script of faults, each consumed by one generation request in order (then normal
answers again)::

    server.add_faults([
        {"status": 429, "retry_delay": "7s", "retry_after": 3},  # RetryInfo, Retry-After
        {"status": 429, "quota": "per_day"},                     # QuotaFailure per day
        {"status": 503}, {"status": 502, "body": "<html>Bad gateway</html>"},  # non-JSON
        {"kind": "reset"},                  # connection reset before any answer
        {"kind": "hang", "seconds": 5},     # answer only after 5 s
        {"kind": "malformed_json"},         # 200 with a body cut mid-JSON
        {"kind": "truncated_base64"},       # 200 whose image is cut short
        {"kind": "no_image", "finish_reason": "NO_IMAGE"},  # 200, text only
        {"kind": "block", "block_reason": "SAFETY"},        # promptFeedback.blockReason
        {"kind": "finish", "finish_reason": "IMAGE_SAFETY"},  # candidate without image
    ])

Billing log: ``server.billed`` lists every answer the server "billed": each HTTP 200
generation answer and each Batch API result, as ``{"path", "usage", "batch",
"response_id"}`` with ``usage`` the ``usageMetadata`` it sent (``None`` for a
``malformed_json`` 200, billed but unreadable). Tests price it themselves.

``"repeat": n`` consumes the same fault n times; ``"target": "upload"`` or ``"token"``
aims a fault at the Files API or the token endpoint instead of generation. From the
command line: ``--faults '[{"status": 503}]'`` or ``--faults @faults.json``.

The package's modules follow the fake's sections: :mod:`.state` (the knobs and logs),
:mod:`.server` and :mod:`.handler` (HTTP and routing), :mod:`.generate` and
:mod:`.describe` (generateContent on image and text models), :mod:`.listing`
(``models.list``), :mod:`.files` (Files API), :mod:`.batch` (Batch API), :mod:`.auth`
(API key, Vertex OAuth), :mod:`.openai_images`, :mod:`.faults` and :mod:`.cli`.
"""

from __future__ import annotations

from .cli import load_faults, main
from .images import make_image
from .server import FakeGeminiServer, serve
from .state import FAULT_KINDS, FakeState, LoggedRequest
from .wire import DEFAULT_API_KEY, MAX_REQUEST_BYTES, google_error

__all__ = [
    "DEFAULT_API_KEY",
    "FAULT_KINDS",
    "MAX_REQUEST_BYTES",
    "FakeGeminiServer",
    "FakeState",
    "LoggedRequest",
    "google_error",
    "load_faults",
    "main",
    "make_image",
    "serve",
]
