"""Test helpers shipped with the package: the fake Gemini server and pytest fixtures."""
