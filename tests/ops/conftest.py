"""Fixtures for the operations tests: the tools they need, skipped when absent (failed on CI)."""

from __future__ import annotations

import shutil
from types import ModuleType

import pytest

from tests.ops.layout import missing


@pytest.fixture(scope="session")
def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        missing("promtool is not on PATH (apt-get install prometheus)")
    return path


@pytest.fixture(scope="session")
def yaml() -> ModuleType:
    try:
        import yaml
    except ImportError:
        missing("PyYAML is not installed (it is a test dependency)")
    return yaml
