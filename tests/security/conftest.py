"""The attacks of tests/security share the browser tests' session Chromium (``browser``)."""

from tests.browser.conftest import browser  # noqa: F401 (a fixture, used by name)
