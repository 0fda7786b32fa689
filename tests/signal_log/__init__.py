"""A test-only app for worker processes: appends every ``version_finished`` to a file
(``NANOBANANA_TEST_SIGNAL_LOG``) so a test can count signals sent in other processes."""
