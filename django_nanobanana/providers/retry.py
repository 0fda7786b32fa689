"""Retries with exponential backoff, full jitter, server delays and a total deadline.

The loop itself is :mod:`tenacity` (the library the official Google SDK also uses); this
module supplies the three policies tenacity asks for, all driven by an injectable
:class:`Clock` so tests control time without sleeping:

* **retry?** only errors whose ``retryable`` is true: 408/429/5xx, timeouts, connection
  errors and malformed 200s. 400/401/403/404 and a per-day quota are final at once.
* **wait** the server's delay when it named one (``RetryInfo.retryDelay`` or
  ``Retry-After``, the longer of the two), else "full jitter" backoff: a uniform random
  delay in ``[0, min(max_backoff, initial_backoff * 2 ** (attempt - 1))]``.
* **stop** after ``max_attempts``, or when the next wait would end past the deadline: a
  delay the deadline cannot hold fails now instead of sleeping past it.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import tenacity

from .errors import DeadlineExceededError, ProviderError

logger = logging.getLogger("django_nanobanana.providers")

T = TypeVar("T")


class Clock(Protocol):
    """Where the provider layer reads time and sleeps; swap it in tests."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class FakeClock:
    """A clock that only moves when slept on (or :meth:`advance` is called).

    ``sleeps`` records every requested sleep, so a test can assert exactly how long the
    client waited without waiting itself.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    initial_backoff: float = 1.0
    max_backoff: float = 60.0
    deadline: float = 300.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> RetryPolicy:
        config = config or {}
        return cls(
            max_attempts=max(1, int(config.get("MAX_ATTEMPTS", cls.max_attempts))),
            initial_backoff=float(config.get("INITIAL_BACKOFF", cls.initial_backoff)),
            max_backoff=float(config.get("MAX_BACKOFF", cls.max_backoff)),
            deadline=float(config.get("DEADLINE", cls.deadline)),
        )

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full-jitter delay after failed attempt number ``attempt`` (1-based)."""
        cap = min(self.max_backoff, self.initial_backoff * (2 ** (attempt - 1)))
        return rng.uniform(0.0, cap)


def is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, ProviderError) and exc.retryable


def call_with_retries(
    fn: Callable[[int, float], T],
    *,
    policy: RetryPolicy,
    clock: Clock,
    rng: random.Random,
    label: str = "provider",
) -> tuple[T, int]:
    """Call ``fn(attempt, deadline)`` until it returns, the error is final, attempts run out
    or the deadline would be passed. Returns ``(result, attempts)``.

    ``deadline`` is an absolute :meth:`Clock.monotonic` value the attempt should not run
    past (the caller caps its HTTP timeouts with it). A raised error carries
    ``attempts`` with the number of attempts made.
    """
    deadline = clock.monotonic() + policy.deadline
    attempts = 0

    def attempt() -> T:
        nonlocal attempts
        attempts += 1
        if attempts > 1 and clock.monotonic() >= deadline:
            raise DeadlineExceededError(
                f"The total deadline of {policy.deadline:g}s ran out.", provider=label
            )
        return fn(attempts, deadline)

    def wait(state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        server_delay = getattr(exc, "retry_after", None)
        if server_delay is not None:
            return max(0.0, float(server_delay))
        return policy.backoff(state.attempt_number, rng)

    def stop(state: tenacity.RetryCallState) -> bool:
        if state.attempt_number >= policy.max_attempts:
            return True
        return clock.monotonic() + state.upcoming_sleep > deadline

    def before_sleep(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        logger.info(
            "%s: attempt %d failed (%s); retrying in %.2fs",
            label,
            state.attempt_number,
            exc,
            state.upcoming_sleep,
        )

    def give_up(state: tenacity.RetryCallState) -> T:
        exc = state.outcome.exception() if state.outcome else None
        assert isinstance(exc, ProviderError)
        if state.attempt_number < policy.max_attempts:
            remaining = max(0.0, deadline - clock.monotonic())
            if state.upcoming_sleep > remaining:
                # The server (or the backoff) asks for a wait the deadline cannot hold.
                exc.message = (
                    f"{exc.message} (the next attempt would have to wait "
                    f"{state.upcoming_sleep:.1f}s; only {remaining:.1f}s of the "
                    f"{policy.deadline:g}s deadline remain)"
                )
        exc.attempts = state.attempt_number
        logger.warning("%s: giving up after %d attempt(s): %s", label, state.attempt_number, exc)
        raise exc

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(is_retryable),
        wait=wait,
        stop=stop,
        sleep=clock.sleep,
        before_sleep=before_sleep,
        retry_error_callback=give_up,
        reraise=True,
    )
    try:
        result = retrying(attempt)
    except ProviderError as exc:
        exc.attempts = attempts
        raise
    return result, attempts
