"""The fake's state: the request log, the fault script, what it billed, and every knob a
test turns (they are attributes of the server, :class:`FakeState`)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .images import make_image
from .wire import OPENAI, is_text_call

FAULT_KINDS = (
    "status",
    "reset",
    "hang",
    "malformed_json",
    "truncated_base64",
    "no_image",
    "block",
    "finish",
)


@dataclass
class LoggedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int = 0
    at: float = field(default_factory=time.time)
    query: dict[str, list[str]] = field(default_factory=dict)
    #: The fault applied to this request, if any.
    fault: dict[str, Any] | None = None


class FakeState:
    """What the server knows and the knobs tests turn; :class:`.FakeGeminiServer` is one."""

    server_address: Any  # the listening socket's address, set by the HTTP server

    def __init__(self, *, api_key: str, latency: float, image_format: str) -> None:
        self.api_key = api_key
        self.latency = latency
        self.image_format = image_format
        self.requests: list[LoggedRequest] = []
        self.faults: deque[dict[str, Any]] = deque()
        self.lock = threading.Lock()
        #: Set when the server stops: wakes handlers that hang on a fault.
        self.stopping = threading.Event()
        #: Files uploaded through the Files API, by name ("files/abc"): metadata + bytes.
        self.files: dict[str, dict[str, Any]] = {}
        #: Resumable uploads started and not yet finalized, by upload id.
        self.uploads: dict[str, dict[str, Any]] = {}
        #: OAuth access tokens issued by the token endpoint (accepted on Vertex paths).
        self.tokens: set[str] = set()
        #: Batch jobs by name ("batches/abc"). A job answers RUNNING to this many polls,
        #: then SUCCEEDED with its results; None keeps it running forever (timeouts).
        self.batches: dict[str, dict[str, Any]] = {}
        self.batch_polls_to_finish: int | None = 1
        #: Every billed answer (see the module doc): what a ledger must add up to.
        self.billed: list[dict[str, Any]] = []
        #: models.list: the largest page it answers, and ids it leaves out (as if this key
        #: could not call them).
        self.models_page_size = 50
        self.unlisted: set[str] = set()
        #: Embed a signed C2PA manifest in every generated image, as Google does (needs
        #: ``c2pa-python``; off by default because signing costs a few milliseconds).
        self.c2pa = False
        #: When set, every generated image is these bytes (e.g. a realistic 25 MB 4K PNG for
        #: memory benchmarks) instead of a drawn one; its format sets the MIME type.
        self.image_bytes: bytes | None = None
        #: Generate calls waiting out their latency right now, and the most seen at once.
        self.in_flight = 0
        self.max_in_flight = 0
        #: When set, each generate call is also held until this many have been in flight
        #: at once (or ``gate_timeout`` seconds pass): concurrency shown by a condition,
        #: not by a clock, so a loaded machine cannot fake or hide it.
        self.gate = 0
        self.gate_timeout = 60.0
        self._flight = threading.Condition()

    def image_for(
        self, prompt: str, width: int, height: int, seed: Any = None
    ) -> tuple[bytes, str]:
        """The image of one answer and its MIME type."""
        if self.image_bytes is not None:
            jpeg = self.image_bytes[:3] == b"\xff\xd8\xff"
            return self.image_bytes, "image/jpeg" if jpeg else "image/png"
        image = make_image(prompt, width, height, self.image_format, seed=seed)
        return image, "image/jpeg" if self.image_format.upper() == "JPEG" else "image/png"

    def hold(self) -> None:
        """Wait out the latency, and the gate when one is set, counted as in flight."""
        with self._flight:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self._flight.notify_all()
        try:
            if self.latency:
                time.sleep(self.latency)
            if self.gate:
                with self._flight:
                    self._flight.wait_for(
                        lambda: self.max_in_flight >= self.gate, timeout=self.gate_timeout
                    )
        finally:
            with self._flight:
                self.in_flight -= 1

    def open_gate(self) -> None:
        """Let every call held at the gate through (and the next ones at once)."""
        with self._flight:
            self.gate = 0
            self._flight.notify_all()

    def log_billed(
        self, path: str, usage: Any, *, batch: bool = False, response_id: str | None = None
    ) -> None:
        with self.lock:
            self.billed.append(
                {"path": path, "usage": usage, "batch": batch, "response_id": response_id}
            )

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def add_faults(self, faults: Iterable[dict[str, Any]]) -> None:
        """Queue faults; each is consumed by one request (of its ``target``) in order."""
        with self.lock:
            for fault in faults:
                fault = dict(fault)
                kind = fault.setdefault("kind", "status" if "status" in fault else None)
                if kind not in FAULT_KINDS:
                    raise ValueError(f"unknown fault {fault!r}; kinds: {', '.join(FAULT_KINDS)}")
                if kind == "status" and "status" not in fault:
                    raise ValueError(f"a status fault needs a status: {fault!r}")
                fault.setdefault("target", "generate")
                for _ in range(int(fault.pop("repeat", 1))):
                    self.faults.append(dict(fault))

    def take_fault(self, target: str) -> dict[str, Any] | None:
        with self.lock:
            for index, fault in enumerate(self.faults):
                if fault["target"] == target:
                    del self.faults[index]
                    return fault
        return None

    def generate_requests(self) -> list[LoggedRequest]:
        """The logged image generation calls (Developer API, Vertex, OpenAI-compatible);
        calls to text models are in :meth:`text_requests`."""
        with self.lock:
            return [
                r
                for r in self.requests
                if (r.path.endswith(":generateContent") and not is_text_call(r.path))
                or r.path == OPENAI
            ]

    def text_requests(self) -> list[LoggedRequest]:
        """The logged generateContent calls to text models (describing images)."""
        with self.lock:
            return [
                r
                for r in self.requests
                if r.path.endswith(":generateContent") and is_text_call(r.path)
            ]

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.faults.clear()
            self.billed.clear()
