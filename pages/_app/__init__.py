"""The app layer: Streamlit helpers the page scripts share (README.md, "Where things are"; the guard and
sign-in: docs/operations.md, "Sign-in and roles").

Modules by concern, each importing only those before it (tests/pages/test_app_package.py):
``page_table`` <- ``session`` <- ``signin`` <- ``reads`` <- ``widgets`` <- ``portal`` and ``ui``. Page scripts import
:mod:`pages._app.ui` (and the portal pages :mod:`pages._app.portal`); nothing in this package imports a page script.
Streamlit serves only the scripts at the top of ``pages/``, never a module of this package.
"""
