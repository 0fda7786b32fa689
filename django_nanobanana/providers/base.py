"""The provider base class: one fixed sequence for every backend.

Like django-anymail's email backends, every provider runs the same steps in the same
order, and a backend only fills them in::

    check_request -> prepare_request -> build_payload -> send -> parse_response -> parse_usage

A backend also declares the configuration keys it understands (:attr:`Provider.options`;
anything else in its ``PROVIDERS`` entry is an ``ImproperlyConfigured`` error), its inline
limits, and optionally how to continue an edit (:meth:`Provider.edit_history`) and how to
list the models its key can call (:meth:`Provider.list_models`).

:meth:`Provider.generate` is the only entry point and is not meant to be overridden.
Around ``send`` the base class adds what every backend needs, so none writes it twice:
the shared rate limiter (:mod:`.ratelimit`) is acquired before each HTTP attempt, and
retryable failures are retried with backoff, server delays and a total deadline
(:mod:`.retry`). ``send`` and ``parse_response`` both run inside the retry loop, so a
malformed 200 (bad JSON, truncated image) is retried like a 503.

Every answer the provider bills is reported, attempt by attempt: a 200 is billed whether or
not its image turns out usable, so each one becomes a :class:`BilledAttempt` (its usage, or
``None`` when the body could not be read), passed to the ``on_billed`` callback the moment
it arrives and listed in :attr:`ImageResult.billed` / :attr:`ProviderError.billed`.

The requests and results the steps pass along are the dataclasses of :mod:`.types`
(importable from this module too, where they were first defined).

Time is read and slept through :attr:`Provider.clock` and jitter drawn from
:attr:`Provider.rng`: tests swap them for a :class:`~.retry.FakeClock` and a seeded
``random.Random`` to measure waits without sleeping.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import random
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

import httpx
from django.core.exceptions import ImproperlyConfigured

from ..exceptions import ConfigurationError
from .errors import (
    AuthenticationError,
    ErrorParser,
    MalformedResponseError,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeoutError,
    parse_plain_error,
    redact,
)
from .images import as_png
from .models_registry import ModelCapabilities, get_model
from .ratelimit import RateLimiter
from .retry import Clock, RetryPolicy, SystemClock, call_with_retries
from .types import (
    BilledAttempt,
    DescribeRequest,
    DescriptionResult,
    ImageRequest,
    ImageResult,
    ListedModel,
    RawResponse,
    ReferenceImage,
    Usage,
    replace_references,
)

logger = logging.getLogger("django_nanobanana.providers")

T = TypeVar("T")

#: The absolute deadline (``Provider.clock.monotonic()``) of the call in progress: HTTP
#: timeouts are capped by it so a hanging server cannot hold an attempt past it.
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "nanobanana_deadline", default=None
)


_clients: dict[tuple[int, str, tuple], httpx.Client] = {}
_clients_lock = threading.Lock()


def timeouts(timeout: Mapping[str, float]) -> dict[str, float]:
    """A provider's ``TIMEOUT`` setting, with the defaults of conf.PROVIDER_DEFAULTS."""
    defaults = {"connect": 10, "read": 120, "write": 60, "pool": 10}
    return {name: float(timeout.get(name, default)) for name, default in defaults.items()}


def shared_client(timeout: Mapping[str, float], key: str = "") -> httpx.Client:
    """One pooled httpx client per process (re-created after a fork) and timeout set."""
    values = timeouts(timeout)
    cache_key = (os.getpid(), key, tuple(values.values()))
    with _clients_lock:
        client = _clients.get(cache_key)
        if client is None:
            client = httpx.Client(
                timeout=httpx.Timeout(**values), headers={"user-agent": "django-nanobanana"}
            )
            _clients[cache_key] = client
        return client


#: Configuration keys every provider understands (conf.PROVIDER_DEFAULTS documents them).
COMMON_OPTIONS = frozenset(
    {
        "BACKEND",
        "API_KEY_ENV",
        "API_KEY",
        "BASE_URL",
        "TIMEOUT",
        "MODELS",
        "EXTRA_HEADERS",
        "AUTH",
        "RETRY",
        "RATE_LIMITS",
        "RATE_LIMIT_BACKEND",
        # Lower the backend's inline limits (bytes), e.g. behind a proxy with a smaller body cap.
        "MAX_INLINE_IMAGE_BYTES",
        "MAX_INLINE_REQUEST_BYTES",
    }
)


class Provider:
    """Base class of every image provider. Subclasses fill in the steps."""

    #: Short name used in logs, audit rows and the ``provider`` field of versions.
    name: ClassVar[str] = "base"
    #: Configuration keys of this backend beyond :data:`COMMON_OPTIONS`.
    options: ClassVar[frozenset[str]] = frozenset()
    #: Whether references too large to inline can be uploaded (Gemini's Files API).
    supports_file_upload: ClassVar[bool] = False
    #: Largest image sent inline, and largest inline data of one request (raw bytes,
    #: before base64); None: no limit of its own.
    max_inline_image_bytes: ClassVar[int | None] = None
    max_inline_request_bytes: ClassVar[int | None] = None
    #: False for APIs that take no input images (no references, no edits).
    accepts_references: ClassVar[bool] = True
    #: Reads a non-2xx answer into the typed error, ``(status_code, body, headers, *,
    #: provider, secrets) -> ProviderError``: backends name their API's (Google's error
    #: bodies, OpenAI's); this default knows only the status code and an excerpt.
    error_parser: ClassVar[ErrorParser] = staticmethod(parse_plain_error)
    #: Time source and sleeper of the retry loop and the limiter (swap in tests).
    clock: Clock = SystemClock()
    #: Source of backoff jitter (swap for a seeded ``random.Random`` in tests).
    rng: random.Random = random.Random()

    @classmethod
    def check_options(cls, alias: str, entry: Mapping[str, Any]) -> None:
        """Raise ``ImproperlyConfigured`` for keys this backend does not understand."""
        unknown = sorted(set(entry) - COMMON_OPTIONS - cls.options)
        if unknown:
            known = ", ".join(sorted(COMMON_OPTIONS | cls.options))
            raise ImproperlyConfigured(
                f"NANOBANANA['PROVIDERS'][{alias!r}] has options that {cls.__name__} does "
                f"not understand: {', '.join(unknown)}. Known options: {known}."
            )

    def __init__(self, alias: str, config: Mapping[str, Any], *, api_key: str | None) -> None:
        self.alias = alias
        self.config = config
        self.api_key = api_key
        self.retry_policy = RetryPolicy.from_config(config.get("RETRY"))
        for option in ("MAX_INLINE_IMAGE_BYTES", "MAX_INLINE_REQUEST_BYTES"):
            if config.get(option) is not None:
                setattr(self, option.lower(), int(config[option]))
        limits = config.get("RATE_LIMITS") or {}
        self.limiter = RateLimiter(
            alias,
            limits,
            backend=str(config.get("RATE_LIMIT_BACKEND") or "default"),
            period=float(limits.get("period_seconds") or 60.0),
        )

    def __repr__(self) -> str:  # no key, no token
        return f"<{type(self).__name__} {self.alias!r}>"

    # -- the fixed sequence -------------------------------------------------------------
    def generate(
        self, request: ImageRequest, *, on_billed: Callable[[BilledAttempt], None] | None = None
    ) -> ImageResult:
        """Run the steps in order. Raises :class:`ProviderError` when no result was had.

        ``send`` + ``parse_response`` run inside the retry loop, each attempt after
        acquiring the shared rate limiter; ``result.attempts`` counts the HTTP attempts.
        Each billed answer (every 200, also one retried because its image was truncated or
        its body unreadable) is passed to ``on_billed`` as soon as it arrives, and all of
        them are in ``result.billed`` (or ``error.billed`` when the call failed). An
        exception raised by ``on_billed`` is logged and does not stop the call: the
        attempt stays in the list for the caller to record later.
        """
        capabilities = self.check_request(request)
        request = self.prepare_request(request, capabilities)
        payload = self.build_payload(request, capabilities)
        return self._billed_call(request, payload, self.parse_response, on_billed)

    def describe(
        self, request: DescribeRequest, *, on_billed: Callable[[BilledAttempt], None] | None = None
    ) -> DescriptionResult:
        """Ask a text model about one image (alt text, description, focal point) with
        structured output. The same sequence as :meth:`generate` (check -> payload -> send
        -> parse -> usage, retries, limiter, every billed answer reported), with the
        describe steps :meth:`build_describe_payload` and :meth:`parse_description`."""
        self.check_credentials()
        payload = self.build_describe_payload(request)
        return self._billed_call(request, payload, self.parse_description, on_billed)

    def _billed_call(
        self,
        request: Any,
        payload: Any,
        parse: Callable[[Any, RawResponse], Any],
        on_billed: Callable[[BilledAttempt], None] | None,
    ) -> Any:
        started = self.clock.monotonic()
        billed: list[BilledAttempt] = []
        number = 0

        def report(item: BilledAttempt) -> None:
            billed.append(item)
            if on_billed is None:
                return
            try:
                on_billed(item)
            except Exception:  # the caller's bookkeeping must not abort a paid call
                logger.exception("%s: recording billed attempt %d failed", self.alias, item.number)

        def attempt() -> tuple[RawResponse, Any, Usage]:
            nonlocal number
            number += 1
            try:
                response = self.send(request, payload)
            except MalformedResponseError as exc:
                # A 2xx whose body could not be read: billed, usage unknown.
                report(BilledAttempt(number, None, note="malformed", reason=exc.message))
                raise
            usage = self.parse_usage(response)
            data = response.data if isinstance(response.data, Mapping) else {}
            item = BilledAttempt(
                number,
                usage,
                model_version=data.get("modelVersion"),
                response_id=data.get("responseId") or (response.headers or {}).get("x-request-id"),
            )
            report(item)
            try:
                result = parse(request, response)
            except ProviderError as exc:
                item.note, item.reason = "unusable", exc.message
                raise
            return result, usage  # not the response: its parsed body can be large

        try:
            (result, usage), attempts = self.call_with_retries(attempt, rate_limited=True)
        except ProviderError as exc:
            exc.billed = list(billed)
            raise
        result.usage = usage
        result.attempts = attempts
        result.billed = list(billed)
        result.latency_ms = int((self.clock.monotonic() - started) * 1000)
        return result

    def call_with_retries(
        self, fn: Callable[[], T], *, rate_limited: bool = False, images: int = 1
    ) -> tuple[T, int]:
        """Run ``fn`` (one HTTP exchange) under this provider's retry policy; with
        ``rate_limited`` each attempt first takes a slot of the shared limiter."""

        def attempt(number: int, deadline: float) -> T:
            if rate_limited:
                self.limiter.acquire(
                    images,
                    clock=self.clock,
                    deadline=deadline,
                    use_clock_time=not isinstance(self.clock, SystemClock),
                )
            token = _deadline.set(deadline)
            try:
                logger.debug("%s: attempt %d", self.alias, number)
                return fn()
            finally:
                _deadline.reset(token)

        return call_with_retries(
            attempt, policy=self.retry_policy, clock=self.clock, rng=self.rng, label=self.alias
        )

    # -- steps ---------------------------------------------------------------------------
    def check_request(self, request: ImageRequest) -> ModelCapabilities:
        """Validate against the capabilities registry before anything is sent."""
        capabilities = get_model(request.model)  # a retired id is refused here, unsent
        capabilities.validate(
            aspect_ratio=request.aspect_ratio,
            image_size=request.image_size,
            reference_count=len(request.references) + _history_images(request.history),
            reference_sizes=tuple(len(ref.data) for ref in request.references if not ref.file_uri),
            **self.reference_limits(),
            prompt=request.prompt,
            thinking_level=request.thinking_level,
            grounding=request.grounding,
        )
        self.check_credentials()
        return capabilities

    def reference_limits(self) -> dict[str, Any]:
        """This provider's reference limits, as :meth:`ModelCapabilities.validate` takes
        them."""
        return {
            "can_upload": self.supports_file_upload,
            "inline_image_limit": self.max_inline_image_bytes,
            "inline_total_limit": self.max_inline_request_bytes,
            "accepts_references": self.accepts_references,
        }

    def check_credentials(self) -> None:
        """Raise :class:`AuthenticationError` when the provider cannot authenticate."""
        if not self.api_key:
            raise AuthenticationError(
                f"No API key for provider {self.alias!r}: set the environment variable "
                f"{self.config.get('API_KEY_ENV') or '(none configured)'}.",
                reason="NO_API_KEY",
                provider=self.alias,
            )

    def prepare_request(
        self, request: ImageRequest, capabilities: ModelCapabilities
    ) -> ImageRequest:
        """Work the payload depends on: here, references in a format the model does not
        take (AVIF, for example) are converted to PNG; backends add network work (e.g.
        uploading large references) after calling this."""
        accepted = set(capabilities.input_mime_types)
        if all(ref.file_uri or ref.mime_type in accepted for ref in request.references):
            return request
        return replace_references(
            request,
            [
                ref if ref.file_uri or ref.mime_type in accepted else as_png(ref)
                for ref in request.references
            ],
        )

    def build_payload(self, request: ImageRequest, capabilities: ModelCapabilities) -> Any:
        raise NotImplementedError

    def send(self, request: ImageRequest, payload: Any) -> RawResponse:
        raise NotImplementedError

    def parse_response(self, request: ImageRequest, response: RawResponse) -> ImageResult:
        raise NotImplementedError

    def parse_usage(self, response: RawResponse) -> Usage:
        return Usage()

    def build_describe_payload(self, request: DescribeRequest) -> Any:
        """The payload of a describe call; backends without text models refuse it."""
        raise ConfigurationError(
            f"{type(self).__name__} ({self.alias!r}) cannot describe images: point "
            "NANOBANANA['DESCRIPTIONS']['PROVIDER'] at a Gemini or Vertex AI provider."
        )

    def parse_description(
        self, request: DescribeRequest, response: RawResponse
    ) -> DescriptionResult:
        raise NotImplementedError

    def error_from_response(self, response: httpx.Response) -> ProviderError:
        """The typed error for a non-2xx answer, read by this backend's :attr:`error_parser`
        with every secret redacted."""
        return self.error_parser(
            response.status_code,
            response.content,
            response.headers,
            provider=self.alias,
            secrets=self.secrets(),
        )

    # -- optional abilities ------------------------------------------------------------------
    def edit_history(
        self,
        previous_prompt: str,
        previous_references: Sequence[ReferenceImage],
        model_turn: Mapping[str, Any],
        image: bytes,
        mime_type: str,
    ) -> list[dict[str, Any]] | None:
        """The earlier turns to send before a follow-up edit instruction, or None when this
        backend has no multi-turn editing (the image to edit is then sent as a reference)."""
        return None

    def list_models(self) -> list[ListedModel]:
        """The models this provider's credentials can call (for ``nanobanana_models``)."""
        raise NotImplementedError(f"{type(self).__name__} cannot list the models its key can call.")

    # -- helpers for subclasses --------------------------------------------------------------
    @property
    def client(self) -> httpx.Client:
        return shared_client(self.config.get("TIMEOUT") or {}, key=self.alias)

    def secrets(self) -> list[str | None]:
        """Every credential this provider may have sent (for redaction)."""
        return [self.api_key]

    def redact(self, text: str) -> str:
        return redact(text, self.secrets())

    def request_timeout(self) -> httpx.Timeout:
        """The configured timeouts, each capped by what is left of the call's deadline."""
        values = timeouts(self.config.get("TIMEOUT") or {})
        deadline = _deadline.get()
        if deadline is not None:
            remaining = max(0.05, deadline - self.clock.monotonic())
            values = {k: min(v, remaining) for k, v in values.items()}
        return httpx.Timeout(**values)

    def post_json(self, url: str, payload: Any, headers: Mapping[str, str]) -> httpx.Response:
        """POST JSON; see :meth:`http`."""
        return self.http("POST", url, json=payload, headers=headers)

    def exchange_json(
        self, method: str, url: str, *, headers: Mapping[str, str], not_json: str, **kwargs: Any
    ) -> Any:
        """One :meth:`http` exchange whose answer is JSON: a non-2xx answer raises this
        backend's typed error, a body that is not JSON a :class:`MalformedResponseError`
        with the message ``not_json``."""
        response = self.http(method, url, headers=headers, **kwargs)
        if response.status_code >= 300:
            raise self.error_from_response(response)
        try:
            return response.json()
        except ValueError:
            raise MalformedResponseError(not_json, provider=self.alias) from None

    def json_object(self, body: bytes | str, *, status_code: int) -> dict[str, Any]:
        """A 2xx answer's body as the JSON object it must be, else a (billed, retried)
        :class:`MalformedResponseError`."""
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise MalformedResponseError(
                "The provider answered 200 with a body that is not JSON.",
                status_code=status_code,
                provider=self.alias,
            ) from None
        if not isinstance(data, dict):
            raise MalformedResponseError(
                "The provider answered with JSON that is not an object.", provider=self.alias
            )
        return data

    def http(
        self, method: str, url: str, *, headers: Mapping[str, str], **kwargs: Any
    ) -> httpx.Response:
        """One HTTP exchange with transport failures mapped to typed, retryable errors."""
        logger.debug("%s: %s %s", self.alias, method, self.redact(url))
        try:
            return self.client.request(
                method, url, headers=dict(headers), timeout=self.request_timeout(), **kwargs
            )
        except httpx.TimeoutException as exc:
            raise ProviderTimeoutError(
                self.redact(f"{type(exc).__name__} calling the provider"), provider=self.alias
            ) from None
        except httpx.TransportError as exc:
            raise ProviderConnectionError(
                self.redact(f"{type(exc).__name__}: {exc}"), provider=self.alias
            ) from None


def _history_images(history: Sequence[Mapping[str, Any]]) -> int:
    """Input images carried by earlier user turns (they count against the model's limit)."""
    return sum(
        1
        for turn in history
        if turn.get("role", "user") == "user"
        for part in turn.get("parts") or ()
        if isinstance(part, Mapping) and ("inlineData" in part or "fileData" in part)
    )
