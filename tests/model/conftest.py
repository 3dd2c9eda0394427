from __future__ import annotations

import pytest
from _model_helpers import tiny_model as _tiny_model

from codelewm.model.world_model import WorldModel


@pytest.fixture
def tiny_model() -> WorldModel:
    return _tiny_model()
