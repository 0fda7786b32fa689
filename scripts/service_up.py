"""Exit 0 when the named service (postgres / redis) answers at its test URL."""

import os
import socket
import sys
from urllib.parse import urlsplit

DEFAULTS = {
    "postgres": ("NANOBANANA_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test"),
    "redis": ("NANOBANANA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
}

name = sys.argv[1]
env, default = DEFAULTS[name]
url = urlsplit(os.environ.get(env, default))
try:
    socket.create_connection((url.hostname, url.port), timeout=2).close()
except OSError:
    sys.exit(1)
