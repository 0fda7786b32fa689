from tests.services.conftest import editor, run_queued, small_renditions  # noqa: F401
