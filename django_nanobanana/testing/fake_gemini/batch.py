"""The Batch API: ``models/{m}:batchGenerateContent`` creates a job, ``GET batches/{id}``
polls it (RUNNING for :attr:`.FakeState.batch_polls_to_finish` polls, then SUCCEEDED with
inlined responses, each billed), ``batches/{id}:cancel`` cancels it."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

from .. import fake_models
from .generate import GenerateMixin
from .wire import google_error


class BatchMixin(GenerateMixin):
    def _batch_operation(self, job: dict[str, Any]) -> dict[str, Any]:
        operation: dict[str, Any] = {
            "name": job["name"],
            "metadata": {
                "@type": "type.googleapis.com/google.ai.generativelanguage.v1main."
                "GenerateContentBatch",
                "name": job["name"],
                "model": f"models/{job['model']}",
                "displayName": job["display_name"],
                "state": job["state"],
                "createTime": job["created"],
            },
            "done": job["state"]
            in (
                "BATCH_STATE_SUCCEEDED",
                "BATCH_STATE_FAILED",
                "BATCH_STATE_CANCELLED",
                "BATCH_STATE_EXPIRED",
            ),
        }
        if job.get("results") is not None:
            operation["response"] = {
                "@type": "type.googleapis.com/google.ai.generativelanguage.v1main."
                "GenerateContentBatchOutput",
                "inlinedResponses": {"inlinedResponses": job["results"]},
            }
        return operation

    def _batch_create(self, model_id: str, raw: bytes) -> None:
        try:
            body = json.loads(raw or b"null")
            batch = body["batch"]
            requests = batch["inputConfig"]["requests"]["requests"]
            assert isinstance(requests, list) and requests
        except (ValueError, KeyError, TypeError, AssertionError):
            self._invalid("batch.input_config.requests: at least one request is required")
            return
        if model_id not in fake_models.SERVED:
            self._not_found(model_id)
            return
        self._logged.body = {
            "batch": {**batch, "inputConfig": {"requests": {"count": len(requests)}}}
        }
        name = f"batches/{uuid.uuid4().hex[:16]}"
        job = {
            "name": name,
            "model": model_id,
            "display_name": batch.get("displayName", ""),
            "state": "BATCH_STATE_PENDING",
            "requests": requests,
            "polls": 0,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "results": None,
        }
        with self.server.lock:
            self.server.batches[name] = job
        self._send_json(200, self._batch_operation(job))

    def _batch_job(self, name: str) -> dict[str, Any] | None:
        """The job called ``name``, or None after answering 404."""
        with self.server.lock:
            job = self.server.batches.get(name)
        if job is None:
            self._send_json(404, google_error(404, "NOT_FOUND", f"{name} not found"))
        return job

    def _batch_get(self, name: str) -> None:
        job = self._batch_job(name)
        if job is None:
            return
        job["polls"] += 1
        finish_after = self.server.batch_polls_to_finish
        if job["state"] in ("BATCH_STATE_PENDING", "BATCH_STATE_RUNNING"):
            if finish_after is not None and job["polls"] > finish_after:
                job["results"] = [
                    self._batch_result(job["model"], item) for item in job["requests"]
                ]
                job["state"] = "BATCH_STATE_SUCCEEDED"
            else:
                job["state"] = "BATCH_STATE_RUNNING"
        self._send_json(200, self._batch_operation(job))

    def _batch_result(self, model_id: str, item: dict[str, Any]) -> dict[str, Any]:
        """One inlined response: what generateContent would have answered."""
        captured: list[tuple[int, Any]] = []
        original = self._send_json
        self._send_json = lambda status, payload, headers=None: captured.append(  # type: ignore[method-assign]
            (status, payload)
        )
        self._fault = None
        try:
            self._generate(model_id, item.get("request") or {})
        finally:
            self._send_json = original  # type: ignore[method-assign]
        status, payload = captured[-1]
        result: dict[str, Any] = {"metadata": item.get("metadata") or {}}
        if status == 200:
            result["response"] = payload
            self.server.log_billed(
                urlsplit(self.path).path,
                payload.get("usageMetadata"),
                batch=True,
                response_id=payload.get("responseId"),
            )
        else:
            result["error"] = payload.get("error", {})
        return result

    def _batch_cancel(self, name: str) -> None:
        job = self._batch_job(name)
        if job is None:
            return
        if job["state"] in ("BATCH_STATE_PENDING", "BATCH_STATE_RUNNING"):
            job["state"] = "BATCH_STATE_CANCELLED"
        self._send_json(200, {})
