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
        threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

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
    settings.NANOBANANA = {
        **settings.NANOBANANA,
        "WEBHOOKS": {
            "ALLOWED_URLS": [f"http://127.0.0.1:{server.server_address[1]}/hooks/"],
            "SECRET": SECRET,
            "BACKOFF": 0.01,
            "MAX_ATTEMPTS": 5,
        },
    }
    yield server
    server.shutdown()
    server.server_close()


def test_finished_version_is_posted_signed_after_retries(
    receiver, media_root, django_capture_on_commit_callbacks
):
    version = generate(
        GenerationParams(prompt="hooked", image_size="1K", webhook_url=receiver.url), enqueue=False
    )
    execute_version(version.pk)
    assert deliver_webhook(str(version.pk)) is True
    assert len(receiver.received) == 3  # 500, 503, then 200
    headers, body = receiver.received[-1]
    data = json.loads(body)
    assert data["event"] == "version.finished" and data["state"] == "succeeded"
    assert data["version"] == str(version.pk)
    assert verify(
        body, headers["x-nanobanana-timestamp"], headers["x-nanobanana-signature"], SECRET
    )
    assert not verify(
        body + b" ", headers["x-nanobanana-timestamp"], headers["x-nanobanana-signature"], SECRET
    )


def test_a_receiver_that_keeps_failing_never_fails_the_generation(receiver, media_root):
    receiver.statuses = [500] * 10
    version = generate(
        GenerationParams(prompt="hooked", image_size="1K", webhook_url=receiver.url), enqueue=False
    )
    done = execute_version(version.pk)
    assert done.state == "succeeded"
    assert deliver_webhook(str(version.pk)) is False
    assert len(receiver.received) == 5  # MAX_ATTEMPTS


def test_urls_outside_the_allow_list_are_refused_at_the_edge(receiver, media_root):
    with pytest.raises(RequestValidationError) as info:
        generate(GenerationParams(prompt="x", webhook_url="http://10.0.0.1/steal"))
    assert "webhook_url" in info.value.field_errors


def _allow(settings, urls, networks=()):
    settings.NANOBANANA = {
        **settings.NANOBANANA,
        "WEBHOOKS": {
            **settings.NANOBANANA.get("WEBHOOKS", {}),
            "ALLOWED_URLS": urls,
            "ALLOWED_NETWORKS": networks,
        },
    }


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com@127.0.0.1:{port}/hooks/images",  # userinfo: the host is 127.0.0.1
        "http://hooks.example.com:x@127.0.0.1:{port}/",
        "http://hooks.example.com.evil.net/hooks/images",
        "http://hooks.example.com:8080/hooks/images",  # another port
        "https://hooks.example.com/hooks/images",  # another scheme
        "http://hooks.example.com/other",  # outside the entry's path
        "http://hooks.example.com/hooks/../admin",
        "http://hooks.example.com\\@127.0.0.1/hooks/",
        "ftp://hooks.example.com/hooks/",
    ],
)
def test_webhook_urls_are_compared_by_scheme_host_and_port(receiver, media_root, settings, url):
    _allow(settings, ["http://hooks.example.com/hooks/"])
    url = url.format(port=receiver.server_address[1])
    with pytest.raises(RequestValidationError) as info:
        generate(GenerationParams(prompt="x", webhook_url=url))
    assert "webhook_url" in info.value.field_errors


def test_userinfo_that_used_to_pass_the_prefix_never_reaches_a_loopback_listener(
    receiver, media_root, settings
):
    _allow(settings, ["http://hooks.example.com"])
    url = f"http://hooks.example.com@127.0.0.1:{receiver.server_address[1]}/hooks/images"
    with pytest.raises(RequestValidationError):
        generate(GenerationParams(prompt="x", webhook_url=url), enqueue=False)
    assert receiver.received == []


def test_allowed_urls_match_case_insensitively_with_default_ports(receiver, media_root, settings):
    _allow(settings, ["https://Hooks.Example.com/hooks"])
    for url in (
        "https://hooks.example.com:443/hooks/images",
        "https://HOOKS.example.com./hooks",
        "https://hooks.example.com/hooks?x=1",
    ):
        version = generate(GenerationParams(prompt=url, webhook_url=url), enqueue=False)
        assert version.params["webhook_url"] == url
    from django_nanobanana.services.webhooks import parse_webhook_url

    assert parse_webhook_url("http://[::1]:8080/a").host_header == "[::1]:8080"


def _hooked_version(receiver, settings, url):
    """A version whose stored webhook URL is ``url`` (accepted by the allow-list then)."""
    _allow(settings, [url])
    version = generate(
        GenerationParams(prompt="hooked", image_size="1K", webhook_url=url), enqueue=False
    )
    execute_version(version.pk)
    return version


def test_delivery_refuses_a_host_name_that_resolves_to_loopback(receiver, media_root, settings):
    url = f"http://localhost:{receiver.server_address[1]}/hooks/images"
    version = _hooked_version(receiver, settings, url)
    receiver.statuses = []
    assert deliver_webhook(str(version.pk)) is False
    assert receiver.received == []  # the listener was never reached


def test_a_private_network_named_in_the_allow_list_is_delivered_to_with_its_host_name(
    receiver, media_root, settings
):
    url = f"http://localhost:{receiver.server_address[1]}/hooks/images"
    version = _hooked_version(receiver, settings, url)
    _allow(settings, [url], networks=["127.0.0.0/8", "::1/128"])
    receiver.statuses = []
    assert deliver_webhook(str(version.pk)) is True
    headers, _body = receiver.received[-1]
    assert headers["host"] == f"localhost:{receiver.server_address[1]}"


def test_delivery_checks_the_allow_list_again(receiver, media_root, settings):
    version = _hooked_version(receiver, settings, receiver.url)
    _allow(settings, ["http://hooks.example.com/"])  # the site removed the entry since
    receiver.statuses = []
    assert deliver_webhook(str(version.pk)) is False
    assert receiver.received == []


def test_bad_allow_list_entries_are_reported_by_the_system_check(settings):
    from django_nanobanana.checks import check_settings

    _allow(
        settings,
        ["http://user@hooks.example.com/", "http://127.0.0.1:"],
        networks=["not-a-network"],
    )
    ids = [m.id for m in check_settings()]
    assert ids.count("nanobanana.E011") == 3


def test_https_delivery_connects_to_the_checked_address_and_verifies_the_host_name(
    tmp_path, monkeypatch
):
    """The POST goes to the resolved address, yet TLS checks the certificate against the
    URL's host name (SNI), and the Host header keeps it."""
    import datetime
    import ipaddress
    import ssl

    import httpx

    from django_nanobanana.services.webhooks import _send, parse_webhook_url

    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = Receiver([])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))  # trust the test certificate
    port = server.server_address[1]
    loopback = [ipaddress.ip_address("127.0.0.1")]
    try:
        response = _send(
            parse_webhook_url(f"https://localhost:{port}/hooks"),
            loopback,
            content=b"{}",
            headers={},
            timeout=5,
        )
        assert response.status_code == 200
        assert server.received[-1][0]["host"] == f"localhost:{port}"
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            _send(
                parse_webhook_url(f"https://hooks.example.com:{port}/hooks"),
                loopback,
                content=b"{}",
                headers={},
                timeout=5,
            )
    finally:
        server.shutdown()
        server.server_close()
