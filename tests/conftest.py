"""Shared fixtures of the tests: the session's twin (``twin``, ``twin_items``) is in the repository's root
``conftest.py``, shared with the docstring examples."""
