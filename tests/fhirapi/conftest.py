"""The FHIR tests reuse the REST API's world (two municipalities, a citizen of each with a set-up home, tokens)."""

from __future__ import annotations

import pytest

from tests.api.conftest import ApiWorld, bearer

__all__ = ["bearer"]


@pytest.fixture
def api_world(session, factory):
    return ApiWorld(session, factory)
