"""The HTTP server: a :class:`FakeState` listening on loopback, served from a thread."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from typing import Any

from .handler import Handler
from .state import FakeState
from .wire import DEFAULT_API_KEY


class FakeGeminiServer(FakeState, ThreadingHTTPServer):
    """The server; its attributes are the knobs tests turn."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int] = ("127.0.0.1", 0),
        *,
        api_key: str = DEFAULT_API_KEY,
        latency: float = 0.0,
        image_format: str = "PNG",
    ) -> None:
        ThreadingHTTPServer.__init__(self, address, Handler)
        FakeState.__init__(self, api_key=api_key, latency=latency, image_format=image_format)
        self._thread: threading.Thread | None = None

    def start(self) -> FakeGeminiServer:
        self._thread = threading.Thread(
            target=self.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name="fake-gemini",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # wakes hanging handlers
        self.open_gate()  # and calls held at the gate
        self.shutdown()
        self.server_close()


def serve(host: str = "127.0.0.1", port: int = 0, **kwargs: Any) -> FakeGeminiServer:
    """Start a server in a background thread and return it."""
    return FakeGeminiServer((host, port), **kwargs).start()
