"""Fixtures of the SQL tests: ``store``, an empty database with the schema (tests/sql/given.py) for given/expect tests."""

import pytest

from tests.sql.given import empty_store


@pytest.fixture()
def store():
    """An in-memory database with the schema and two councils, closed after the test (a module may override it)."""
    db = empty_store()
    yield db
    db.close()
