"""The command line: ``nanobanana-fakeserver`` and ``python -m
django_nanobanana.testing.fake_gemini``."""

from __future__ import annotations

import argparse
import json
from typing import Any

from .server import FakeGeminiServer
from .wire import DEFAULT_API_KEY


def load_faults(spec: str) -> list[dict[str, Any]]:
    """Faults from a JSON string or ``@path`` to a JSON file."""
    if spec.startswith("@"):
        with open(spec[1:], encoding="utf-8") as handle:
            spec = handle.read()
    faults = json.loads(spec)
    if isinstance(faults, dict):
        faults = [faults]
    if not isinstance(faults, list):
        raise ValueError("faults must be a JSON list of objects")
    return faults


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake Gemini image API on loopback.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--api-key",
        default=DEFAULT_API_KEY,
        help="the key the server accepts (default: %(default)s)",
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="seconds to wait before answering each generation",
    )
    parser.add_argument("--image-format", choices=["PNG", "JPEG"], default="PNG")
    parser.add_argument(
        "--image-file",
        default=None,
        help="answer every generation with this image file (PNG or JPEG)",
    )
    parser.add_argument(
        "--faults",
        default=None,
        help="a JSON list of faults, or @FILE holding one (see the module doc)",
    )
    args = parser.parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the fake server only listens on loopback")
    faults = load_faults(args.faults) if args.faults else []
    server = FakeGeminiServer(
        (args.host, args.port),
        api_key=args.api_key,
        latency=args.latency,
        image_format=args.image_format,
    )
    server.add_faults(faults)
    if args.image_file:
        with open(args.image_file, "rb") as handle:
            server.image_bytes = handle.read()
    print(f"Fake Gemini server on {server.base_url} (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
