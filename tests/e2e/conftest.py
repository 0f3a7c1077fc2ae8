"""The `stack` fixture: the whole system started once per test session (slow: Rasa loads its
model in ~40 s). Tests here are marked e2e; the browser tests reuse the same fixture."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from stack import Stack, running_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("stack")) as started:
        yield started
