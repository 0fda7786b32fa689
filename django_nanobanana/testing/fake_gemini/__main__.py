"""``python -m django_nanobanana.testing.fake_gemini``: the fake server on loopback."""

from .cli import main

main()
