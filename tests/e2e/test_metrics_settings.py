"""Where metrics go: PROMETHEUS_MULTIPROC_DIR is a setting, checked like the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from bookiji_adapters.telemetry import PrometheusTelemetry
from bookiji_entry.bootstrap import bootstrap
from bookiji_entry.metrics_dir import shared_metrics_dir
from bookiji_entry.settings import MEMORY_URL, Profile, Settings, SettingsError


def test_the_metrics_directory_is_prometheus_clients_own_variable(tmp_path: Path) -> None:
    settings = Settings.from_env({"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)})

    assert settings.metrics_dir == str(tmp_path)
    assert Settings.from_env({}).metrics_dir is None


def test_a_metrics_directory_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="PROMETHEUS_MULTIPROC_DIR"):
        Settings.from_env({"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "nope")})


def test_every_profile_exports_prometheus_metrics_unless_told_otherwise() -> None:
    services = bootstrap(Settings(profile=Profile.TEST, database_url=MEMORY_URL))

    assert isinstance(services.telemetry, PrometheusTelemetry)
    assert services.telemetry.multiprocess_dir is None


def test_one_worker_without_a_directory_keeps_its_metrics_in_process() -> None:
    with shared_metrics_dir(1) as directory:
        assert directory is None
