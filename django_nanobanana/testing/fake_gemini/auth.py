"""Who may call: the Developer API's key (header or ``?key=``), and for the Vertex AI paths
the OAuth token endpoint (service-account JWT bearer grant) and its bearer tokens."""

from __future__ import annotations

import base64
import json
import uuid
from urllib.parse import parse_qs, urlsplit

from .faults import FaultsMixin
from .wire import google_error


class AuthMixin(FaultsMixin):
    def _api_key(self) -> str | None:
        key = self.headers.get("x-goog-api-key")
        if key is None:
            query = parse_qs(urlsplit(self.path).query)
            key = (query.get("key") or [None])[0]
        return key

    def _check_key(self) -> bool:
        key = self._api_key()
        if not key:
            self._send_json(
                403,
                google_error(
                    403,
                    "PERMISSION_DENIED",
                    "Method doesn't allow unregistered callers (callers without established "
                    "identity). Please use API Key or other form of API consumer identity "
                    "to call this API.",
                ),
            )
            return False
        if key != self.server.api_key:
            self._send_json(
                400,
                google_error(
                    400,
                    "INVALID_ARGUMENT",
                    "API key not valid. Please pass a valid API key.",
                    [
                        {
                            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                            "reason": "API_KEY_INVALID",
                            "domain": "googleapis.com",
                            "metadata": {"service": "generativelanguage.googleapis.com"},
                        }
                    ],
                ),
            )
            return False
        return True

    def _token(self, raw: bytes) -> None:
        if self._apply_fault("token", "google"):
            return
        form = parse_qs(raw.decode("utf-8", "replace"))
        assertion = (form.get("assertion") or [""])[0]
        grant = (form.get("grant_type") or [""])[0]
        if grant != "urn:ietf:params:oauth:grant-type:jwt-bearer" or assertion.count(".") != 2:
            self._send_json(400, {"error": "invalid_grant", "error_description": "bad grant"})
            return
        try:
            claims = json.loads(
                base64.urlsafe_b64decode(
                    assertion.split(".")[1] + "=" * (-len(assertion.split(".")[1]) % 4)
                )
            )
        except ValueError:
            claims = {}
        if not claims.get("iss") or "cloud-platform" not in str(claims.get("scope", "")):
            self._send_json(400, {"error": "invalid_scope", "error_description": "no scope"})
            return
        token = "ya29.fake-" + uuid.uuid4().hex
        with self.server.lock:
            self.server.tokens.add(token)
        self._send_json(200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"})

    def _check_bearer(self) -> bool:
        auth = self.headers.get("Authorization") or ""
        token = auth[7:] if auth.lower().startswith("bearer ") else ""
        if token not in self.server.tokens:
            self._send_json(
                401,
                google_error(
                    401,
                    "UNAUTHENTICATED",
                    "Request had invalid authentication credentials. Expected OAuth 2 access "
                    "token, login cookie or other valid authentication credential.",
                ),
            )
            return False
        return True
