"""Gemini image models on Vertex AI, authenticated with Google service-account credentials.

Settings (extra ``django-nanobanana[vertex]``)::

    "vertex": {
        "BACKEND": "django_nanobanana.providers.vertex.VertexProvider",
        "AUTH": "google-auth",            # the system check then skips the API-key check
        "PROJECT": "my-project",
        "LOCATION": "global",             # 3.x image models are served from global only
        "CREDENTIALS_FILE": "/run/secrets/sa.json",  # None: application default credentials
    }

The wire format is the Developer API's (camelCase JSON), so the payload, outcomes and
usage come from :class:`~.gemini.GeminiProvider`; only the URL and the credentials
differ. Vertex has no Files API: references must fit inline (large ones belong in Cloud
Storage, which this provider does not manage), and the capabilities check says so.
"""

from __future__ import annotations

import threading
from typing import Any

from ..conf import GOOGLE_BASE_URL
from .errors import AuthenticationError, ProviderConnectionError
from .gemini import GeminiProvider

SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)

_credentials: dict[tuple[str, str | None], Any] = {}
_credentials_lock = threading.Lock()


def vertex_base_url(location: str) -> str:
    if location == "global":
        return "https://aiplatform.googleapis.com"
    return f"https://{location}-aiplatform.googleapis.com"


class VertexProvider(GeminiProvider):
    name = "vertex"
    options = frozenset(
        {
            "API_VERSION",
            "SAFETY_SETTINGS",
            "PROJECT",
            "LOCATION",
            "CREDENTIALS_FILE",
            "PERSON_GENERATION",
        }
    )
    supports_file_upload = False
    #: Vertex takes 7 MB per inline file; larger ones belong in Cloud Storage, which this
    #: provider does not manage, so they are refused at the edge.
    max_inline_image_bytes = 7 * 1024 * 1024
    max_inline_request_bytes = 18 * 1024 * 1024

    def build_payload(self, request: Any, capabilities: Any) -> dict:
        """The Developer API payload plus Vertex-only ``imageConfig`` fields (never sent to
        the Developer API, which refuses them)."""
        payload = super().build_payload(request, capabilities)
        person = self.config.get("PERSON_GENERATION")
        if person:
            config = payload["generationConfig"].setdefault("imageConfig", {})
            config["personGeneration"] = str(person)
        return payload

    def __init__(self, alias: str, config: Any, *, api_key: str | None) -> None:
        super().__init__(alias, config, api_key=api_key)
        self._token: str | None = None

    # -- credentials ---------------------------------------------------------------------
    def credentials(self) -> Any:
        """The (cached, per process) google-auth credentials of this provider."""
        path = self.config.get("CREDENTIALS_FILE")
        key = (self.alias, path)
        with _credentials_lock:
            creds = _credentials.get(key)
            if creds is None:
                try:
                    if path:
                        # google-auth is the optional [vertex] extra: imported on use.
                        from google.oauth2 import service_account

                        creds = service_account.Credentials.from_service_account_file(
                            path, scopes=list(SCOPES)
                        )
                    else:
                        import google.auth

                        creds, _ = google.auth.default(scopes=list(SCOPES))
                except ImportError:  # pragma: no cover - depends on the extra
                    raise AuthenticationError(
                        "Vertex AI needs google-auth: pip install django-nanobanana[vertex].",
                        reason="NO_CREDENTIALS",
                        provider=self.alias,
                    ) from None
                except Exception as exc:  # google.auth.exceptions.DefaultCredentialsError, IO
                    raise AuthenticationError(
                        f"Cannot load Vertex AI credentials: {type(exc).__name__}: {exc}",
                        reason="NO_CREDENTIALS",
                        provider=self.alias,
                    ) from None
                _credentials[key] = creds
            return creds

    def access_token(self) -> str:
        """A valid OAuth access token, refreshed when expired (thread-safe)."""
        creds = self.credentials()
        with _credentials_lock:
            if not creds.valid:
                # google-auth, the optional [vertex] extra (loaded by credentials()).
                import google.auth.exceptions
                import google.auth.transport.requests

                try:
                    creds.refresh(google.auth.transport.requests.Request())
                except google.auth.exceptions.TransportError as exc:
                    raise ProviderConnectionError(
                        f"Cannot reach the token endpoint: {type(exc).__name__}",
                        provider=self.alias,
                    ) from None
                except google.auth.exceptions.RefreshError as exc:
                    raise AuthenticationError(
                        self.redact(f"The credentials were refused: {exc}"),
                        reason="TOKEN_REFRESH_FAILED",
                        provider=self.alias,
                    ) from None
            self._token = creds.token
            return str(creds.token)

    def check_credentials(self) -> None:
        if not self.config.get("PROJECT"):
            raise AuthenticationError(
                f"Provider {self.alias!r} has no PROJECT: set the Google Cloud project id.",
                reason="NO_PROJECT",
                provider=self.alias,
            )
        self.credentials()

    def secrets(self) -> list[str | None]:
        return [self.api_key, self._token]

    def auth_headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.access_token()}"}

    # -- endpoint -----------------------------------------------------------------------
    def endpoint(self, model: str) -> str:
        location = str(self.config.get("LOCATION") or "global")
        base = str(self.config.get("BASE_URL") or GOOGLE_BASE_URL).rstrip("/")
        if base == GOOGLE_BASE_URL:  # the Developer API default: use Vertex's host
            base = vertex_base_url(location)
        version = self.config.get("API_VERSION") or "v1beta1"
        if version == "v1beta":  # the Developer API's default version; Vertex's twin
            version = "v1beta1"
        project = self.config.get("PROJECT")
        return (
            f"{base}/{version}/projects/{project}/locations/{location}"
            f"/publishers/google/models/{model}:generateContent"
        )
