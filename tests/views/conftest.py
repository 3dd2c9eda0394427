"""Fixtures for the views tests."""

from __future__ import annotations

import pytest
from views_fixtures import make_rerank

from codelewm.records import RerankRecord


@pytest.fixture
def rerank() -> RerankRecord:
    return make_rerank()
