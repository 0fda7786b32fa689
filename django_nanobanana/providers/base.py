"""The provider base class: one fixed sequence for every backend.

Like django-anymail's email backends, every provider runs the same steps in the same
order, and a backend only fills them in::

    check_request -> build_payload -> send -> parse_response -> parse_usage

:meth:`Provider.generate` is the only entry point and is not meant to be overridden.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import httpx

from .errors import (
    AuthenticationError,
    BlockedError,
    NoImageError,
    ProviderConnectionError,
    ProviderTimeoutError,
    redact,
)
from .models_registry import ModelCapabilities, get_model

Outcome = Literal["succeeded", "blocked", "failed"]


@dataclass(frozen=True)
class ReferenceImage:
    """An input image: bytes sent inline, or a Files API URI for large ones."""

    data: bytes
    mime_type: str
    file_uri: str | None = None


@dataclass(frozen=True)
class ImageRequest:
    prompt: str
    model: str
    aspect_ratio: str | None = None
    image_size: str | None = None
    references: Sequence[ReferenceImage] = ()
    # Earlier turns of a multi-turn edit, in wire form ({"role", "parts"}), thought
    # signatures unchanged.
    history: Sequence[Mapping[str, Any]] = ()
    seed: int | None = None
    system_instruction: str | None = None
    thinking_level: str | None = None
    safety_settings: Mapping[str, str] | None = None


@dataclass
class Usage:
    """Token counts of one call, by direction and modality."""

    prompt_tokens: int = 0
    prompt_text_tokens: int = 0
    prompt_image_tokens: int = 0
    output_tokens: int = 0
    output_text_tokens: int = 0
    output_image_tokens: int = 0
    thoughts_tokens: int = 0
    total_tokens: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class ImageResult:
    outcome: Outcome
    image: bytes | None = None
    mime_type: str | None = None
    text: str = ""
    finish_reason: str | None = None
    block_reason: str | None = None
    reason: str = ""
    usage: Usage = field(default_factory=Usage)
    response_id: str | None = None
    model_version: str | None = None
    # The model's turn as it must be sent back for a follow-up edit (thought parts
    # dropped, thought signatures unchanged).
    model_turn: dict[str, Any] | None = None
    attempts: int = 1
    latency_ms: int = 0

    def raise_for_outcome(self) -> ImageResult:
        if self.outcome == "blocked":
            raise BlockedError(self.reason, reason=self.block_reason or self.finish_reason)
        if self.outcome == "failed":
            raise NoImageError(self.reason, reason=self.finish_reason or "NO_IMAGE")
        return self


@dataclass
class RawResponse:
    status_code: int
    headers: Mapping[str, str]
    data: Any


_clients: dict[tuple[int, str, tuple], httpx.Client] = {}
_clients_lock = threading.Lock()


def shared_client(timeout: Mapping[str, float], key: str = "") -> httpx.Client:
    """One pooled httpx client per process (re-created after a fork) and timeout set."""
    timeouts = (
        float(timeout.get("connect", 10)), float(timeout.get("read", 120)),
        float(timeout.get("write", 60)), float(timeout.get("pool", 10)),
    )
    cache_key = (os.getpid(), key, timeouts)
    with _clients_lock:
        client = _clients.get(cache_key)
        if client is None:
            client = httpx.Client(
                timeout=httpx.Timeout(
                    connect=timeouts[0], read=timeouts[1], write=timeouts[2], pool=timeouts[3]
                ),
                headers={"user-agent": "django-nanobanana"},
            )
            _clients[cache_key] = client
        return client


class Provider:
    """Base class of every image provider. Subclasses fill in the steps."""

    #: Short name used in logs, audit rows and the ``provider`` field of versions.
    name: ClassVar[str] = "base"

    def __init__(self, alias: str, config: Mapping[str, Any], *, api_key: str | None) -> None:
        self.alias = alias
        self.config = config
        self.api_key = api_key

    # -- the fixed sequence -------------------------------------------------------------
    def generate(self, request: ImageRequest) -> ImageResult:
        """Run the steps in order. Raises :class:`ProviderError` when no result was had."""
        capabilities = self.check_request(request)
        payload = self.build_payload(request, capabilities)
        started = time.monotonic()
        response = self.send(request, payload)
        result = self.parse_response(request, response)
        result.usage = self.parse_usage(response)
        result.latency_ms = int((time.monotonic() - started) * 1000)
        return result

    # -- steps ---------------------------------------------------------------------------
    def check_request(self, request: ImageRequest) -> ModelCapabilities:
        """Validate against the capabilities registry before anything is sent."""
        capabilities = get_model(request.model)
        capabilities.validate(
            aspect_ratio=request.aspect_ratio,
            image_size=request.image_size,
            reference_count=len(request.references),
            prompt=request.prompt,
            thinking_level=request.thinking_level,
        )
        if not self.api_key:
            raise AuthenticationError(
                f"No API key for provider {self.alias!r}: set the environment variable "
                f"{self.config.get('API_KEY_ENV') or '(none configured)'}.",
                reason="NO_API_KEY",
                provider=self.alias,
            )
        return capabilities

    def build_payload(self, request: ImageRequest, capabilities: ModelCapabilities) -> Any:
        raise NotImplementedError

    def send(self, request: ImageRequest, payload: Any) -> RawResponse:
        raise NotImplementedError

    def parse_response(self, request: ImageRequest, response: RawResponse) -> ImageResult:
        raise NotImplementedError

    def parse_usage(self, response: RawResponse) -> Usage:
        return Usage()

    # -- helpers for subclasses --------------------------------------------------------------
    @property
    def client(self) -> httpx.Client:
        return shared_client(self.config.get("TIMEOUT") or {}, key=self.alias)

    def redact(self, text: str) -> str:
        return redact(text, [self.api_key])

    def post_json(self, url: str, payload: Any, headers: Mapping[str, str]) -> httpx.Response:
        """POST with transport failures mapped to typed, retryable errors."""
        try:
            return self.client.post(url, json=payload, headers=dict(headers))
        except httpx.TimeoutException as exc:
            raise ProviderTimeoutError(
                self.redact(f"{type(exc).__name__} calling the provider"), provider=self.alias
            ) from None
        except httpx.TransportError as exc:
            raise ProviderConnectionError(
                self.redact(f"{type(exc).__name__}: {exc}"), provider=self.alias
            ) from None
