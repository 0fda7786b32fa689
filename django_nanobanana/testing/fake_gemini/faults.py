"""Faults: the scripted failures of :meth:`.FakeState.add_faults`, applied to the request
they are aimed at (a status, a reset, a hang, a broken or an altered answer)."""

from __future__ import annotations

import socket
import struct
import uuid
from typing import Any
from urllib.parse import urlsplit

from .plumbing import HandlerBase
from .wire import STATUS_NAMES, google_error, openai_error


class FaultsMixin(HandlerBase):
    def _apply_fault(self, target: str, shape: str) -> bool:
        """Apply the next fault for ``target`` if it ends the request; True when it did.
        Faults that alter a normal answer are kept in ``self._fault`` for the answer."""
        self._fault = fault = self.server.take_fault(target)
        if fault is None:
            return False
        self._logged.fault = fault
        kind = fault["kind"]
        if kind == "hang":
            self.server.stopping.wait(float(fault.get("seconds", 30)))
            self._fault = None
            return False  # then answer normally (to a client that has usually left)
        if kind == "reset":
            # SO_LINGER 0 + close sends a TCP RST instead of a clean FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            self._logged.status = -1
            return True
        if kind == "malformed_json":
            self.server.log_billed(urlsplit(self.path).path, None)
            self._send_raw(
                200,
                b'{"candidates": [{"content": {"parts": [{"inlineDa',
                "application/json; charset=UTF-8",
            )
            return True
        if kind == "status":
            self._status_fault(fault, shape)
            return True
        if kind == "block" and shape == "google":
            self._send_json(
                200,
                {
                    "promptFeedback": {"blockReason": fault.get("block_reason", "SAFETY")},
                    "usageMetadata": {"promptTokenCount": 12, "totalTokenCount": 12},
                    "modelVersion": "fake",
                    "responseId": uuid.uuid4().hex[:22],
                },
            )
            return True
        if kind in ("block", "finish") and shape == "openai":
            self._send_json(
                400,
                openai_error(
                    "Your request was rejected as a result of our safety system.",
                    "content_policy_violation",
                ),
            )
            return True
        return False  # no_image, finish, truncated_base64: applied to the answer

    def _status_fault(self, fault: dict[str, Any], shape: str) -> None:
        status = int(fault["status"])
        headers: dict[str, str] = {}
        if fault.get("retry_after") is not None:
            headers["Retry-After"] = str(fault["retry_after"])
        if "body" in fault:  # a proxy's non-JSON answer
            self._send_raw(status, str(fault["body"]).encode(), "text/html", headers)
            return
        message = fault.get("message") or {
            429: "Resource has been exhausted (e.g. check quota).",
            500: "An internal error has occurred. Please retry or report.",
            503: "The model is overloaded. Please try again later.",
            504: "Deadline exceeded.",
        }.get(status, f"Fault {status}")
        per_day = fault.get("quota") == "per_day"
        if shape == "openai":
            code = (
                "insufficient_quota"
                if per_day
                else "rate_limit_exceeded"
                if status == 429
                else "server_error"
                if status >= 500
                else "invalid_request"
            )
            self._send_json(status, openai_error(message, code, kind=code), headers)
            return
        details: list[dict[str, Any]] = []
        if status == 429:
            quota = (
                "GenerateRequestsPerDayPerProjectPerModel-FreeTier"
                if per_day
                else "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"
            )
            details.append(
                {
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [
                        {
                            "quotaMetric": "generativelanguage.googleapis.com/"
                            "generate_content_free_tier_requests",
                            "quotaId": quota,
                        }
                    ],
                }
            )
        if fault.get("retry_delay") is not None:
            details.append(
                {
                    "@type": "type.googleapis.com/google.rpc.RetryInfo",
                    "retryDelay": str(fault["retry_delay"]),
                }
            )
        self._send_json(
            status,
            google_error(status, STATUS_NAMES.get(status, "UNKNOWN"), message, details),
            headers,
        )

    def _fault_answer(self, answer: dict[str, Any]) -> dict[str, Any]:
        """Apply an answer-altering fault to a normal Gemini answer."""
        fault = self._fault
        if not fault:
            return answer
        kind = fault["kind"]
        candidate = answer["candidates"][0]
        parts = candidate["content"]["parts"]
        if kind == "truncated_base64" and not any("inlineData" in p for p in parts):
            for part in parts:  # a text answer cut short: its JSON cannot be read
                if "text" in part:
                    part["text"] = part["text"][: len(part["text"]) // 2]
        elif kind in ("no_image", "finish") and not any("inlineData" in p for p in parts):
            candidate["content"]["parts"] = []
            candidate["finishReason"] = fault.get(
                "finish_reason", "MAX_TOKENS" if kind == "no_image" else "SAFETY"
            )
        elif kind == "truncated_base64":
            for part in parts:
                if "inlineData" in part and not part.get("thought"):
                    data = part["inlineData"]["data"]
                    part["inlineData"]["data"] = data[: len(data) // 2 // 4 * 4]
        elif kind in ("no_image", "finish"):
            candidate["content"]["parts"] = [p for p in parts if "inlineData" not in p]
            candidate["finishReason"] = fault.get(
                "finish_reason", "NO_IMAGE" if kind == "no_image" else "IMAGE_SAFETY"
            )
        return answer
