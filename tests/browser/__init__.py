"""End-to-end tests of the lab in a real browser (JupyterLab + Debian's Chromium via Playwright).

A package, so that its ``conftest`` is imported as ``browser.conftest`` and never shadows
``tests/conftest.py`` (which the unit tests import as ``conftest``).
"""
