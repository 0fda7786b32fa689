"""Signed webhooks to an allow-listed URL, retried with backoff, never blocking."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from django_nanobanana.exceptions import RequestValidationError
from django_nanobanana.services import GenerationParams, execute_version, generate
from django_nanobanana.services.webhooks import verify
from django_nanobanana.tasks import deliver_webhook

pytestmark = pytest.mark.django_db
SECRET = "whsec-test-123"


class Receiver(ThreadingHTTPServer):
    def __init__(self, statuses):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.statuses = list(statuses)
        self.received = []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/images"


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        status = self.server.statuses.pop(0) if self.server.statuses else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def receiver(settings, nanobanana_fake):
    server = Receiver([500, 503, 200])
    settings.NANOBANANA = {**settings.NANOBANANA, "WEBHOOKS": {
        "ALLOWED_URLS": ["http://127.0.0.1:"], "SECRET": SECRET, "BACKOFF": 0.01,
        "MAX_ATTEMPTS": 5}}
    yield server
    server.shutdown()
    server.server_close()


def test_finished_version_is_posted_signed_after_retries(receiver, media_root,
                                                         django_capture_on_commit_callbacks):
    version = generate(GenerationParams(prompt="hooked", image_size="512",
                                        webhook_url=receiver.url), enqueue=False)
    execute_version(version.pk)
    assert deliver_webhook(str(version.pk)) is True
    assert len(receiver.received) == 3  # 500, 503, then 200
    headers, body = receiver.received[-1]
    data = json.loads(body)
    assert data["event"] == "version.finished" and data["state"] == "succeeded"
    assert data["version"] == str(version.pk)
    assert verify(body, headers["x-nanobanana-timestamp"], headers["x-nanobanana-signature"],
                  SECRET)
    assert not verify(body + b" ", headers["x-nanobanana-timestamp"],
                      headers["x-nanobanana-signature"], SECRET)


def test_a_receiver_that_keeps_failing_never_fails_the_generation(receiver, media_root):
    receiver.statuses = [500] * 10
    version = generate(GenerationParams(prompt="hooked", image_size="512",
                                        webhook_url=receiver.url), enqueue=False)
    done = execute_version(version.pk)
    assert done.state == "succeeded"
    assert deliver_webhook(str(version.pk)) is False
    assert len(receiver.received) == 5  # MAX_ATTEMPTS


def test_urls_outside_the_allow_list_are_refused_at_the_edge(receiver, media_root):
    with pytest.raises(RequestValidationError) as info:
        generate(GenerationParams(prompt="x", webhook_url="http://10.0.0.1/steal"))
    assert "webhook_url" in info.value.field_errors
