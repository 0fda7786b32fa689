"""Gemini's Batch API: many generateContent requests in one asynchronous job, at half price.

``POST {BASE_URL}/{version}/models/{model}:batchGenerateContent`` creates a job from inline
requests (each with a ``metadata.key``), ``GET {BASE_URL}/{version}/batches/{id}`` polls it,
``POST …/batches/{id}:cancel`` cancels it. Results come back inline as
``response.inlinedResponses.inlinedResponses[{response | error, metadata}]``. States are
``BATCH_STATE_*`` on the wire (the SDK maps them to ``JOB_STATE_*``; both are accepted).
Every HTTP exchange goes through the provider's retry policy and error mapping.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .gemini import GeminiProvider

FINAL_STATES = {"SUCCEEDED", "FAILED", "CANCELLED", "EXPIRED"}


def normalise_state(state: str | None) -> str:
    """``BATCH_STATE_RUNNING`` / ``JOB_STATE_RUNNING`` -> ``RUNNING``."""
    state = str(state or "UNSPECIFIED")
    for prefix in ("BATCH_STATE_", "JOB_STATE_"):
        if state.startswith(prefix):
            return state[len(prefix) :]
    return state


@dataclass
class BatchJob:
    name: str
    state: str
    #: (key, response or None, error or None) per request, once the job succeeded
    results: list[tuple[str, dict[str, Any] | None, dict[str, Any] | None]] = field(
        default_factory=list
    )

    @property
    def done(self) -> bool:
        return self.state in FINAL_STATES


class GeminiBatchClient:
    """Create, poll and cancel Batch API jobs with a configured Gemini provider."""

    def __init__(self, provider: GeminiProvider) -> None:
        if not isinstance(provider, GeminiProvider) or provider.name != "gemini":
            raise TypeError("the Batch API needs the Gemini Developer API provider")
        self.provider = provider

    def _call(self, method: str, path: str, payload: Any = None) -> dict[str, Any]:
        provider = self.provider

        def attempt() -> dict[str, Any]:
            kwargs = {"json": payload} if payload is not None else {}
            data = provider.exchange_json(
                method,
                provider.api_url(path),
                headers=provider.headers(),
                not_json="The batch answer is not JSON.",
                **kwargs,
            )
            return data if isinstance(data, dict) else {}

        data, _attempts = provider.call_with_retries(attempt)
        return data

    def create(
        self,
        model: str,
        requests: Sequence[tuple[str, dict[str, Any]]],
        *,
        display_name: str = "django-nanobanana",
    ) -> BatchJob:
        body = {
            "batch": {
                "displayName": display_name,
                "inputConfig": {
                    "requests": {
                        "requests": [
                            {"request": payload, "metadata": {"key": key}}
                            for key, payload in requests
                        ]
                    }
                },
            }
        }
        return self._job(self._call("POST", f"models/{model}:batchGenerateContent", body))

    def get(self, name: str) -> BatchJob:
        return self._job(self._call("GET", name))

    def cancel(self, name: str) -> None:
        self._call("POST", f"{name}:cancel", {})

    @staticmethod
    def _job(data: dict[str, Any]) -> BatchJob:
        metadata = data.get("metadata") or {}
        job = BatchJob(
            name=str(data.get("name") or metadata.get("name") or ""),
            state=normalise_state(metadata.get("state")),
        )
        response = data.get("response") or {}
        inlined = (response.get("inlinedResponses") or {}).get("inlinedResponses") or []
        for item in inlined:
            key = str((item.get("metadata") or {}).get("key", ""))
            job.results.append((key, item.get("response"), item.get("error")))
        return job
