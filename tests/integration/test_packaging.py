"""Packaging: one version everywhere, a light core distribution, extras for the service."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest

import bookiji_core
from bookiji_entry.cli import main
from bookiji_entry.console import SERVER_PACKAGES
from tests.unit.test_library_doc import blocks as library_example

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SERVICE = {"sqlalchemy", "starlette", "uvicorn", "stripe", "psycopg", "punq", "alembic"}


def name_of(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_bkctl_version_is_the_one_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])

    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"bkctl (bookiji) {bookiji_core.__version__}"
    assert importlib.metadata.version("bookiji") == bookiji_core.__version__
    assert PYPROJECT["project"]["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "bookiji_core.__version__"
    }


def test_the_changelog_describes_the_current_version() -> None:
    released = re.findall(r"^## \[(\d+\.\d+\.\d+)\]", (ROOT / "CHANGELOG.md").read_text(), re.M)
    assert released and released[0] == bookiji_core.__version__


def test_the_core_distribution_needs_only_attrs_and_the_extras_add_the_service() -> None:
    project = PYPROJECT["project"]
    extras = project["optional-dependencies"]
    assert [name_of(r) for r in project["dependencies"]] == ["attrs"]
    assert {name_of(r) for r in extras["server"]} >= {"starlette", "uvicorn", "sqlalchemy"}
    assert [name_of(r) for r in extras["postgres"]] == ["psycopg"]
    assert [name_of(r) for r in extras["stripe"]] == ["stripe"]
    assert [name_of(r) for r in extras["ops"]] == ["py-spy"]
    assert project["license"] == "Apache-2.0" and (ROOT / "LICENSE").is_file()
    assert any(
        c.startswith("Programming Language :: Python :: 3.11") for c in project["classifiers"]
    )


@pytest.mark.slow
def test_a_core_only_install_of_the_wheel_imports_the_core_without_the_service(
    tmp_path: Path,
) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", tmp_path, ROOT],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    (wheel,) = tmp_path.glob("bookiji-*.whl")
    venv.create(tmp_path / "venv", with_pip=True)
    python = tmp_path / "venv" / "bin" / "python"
    installed = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert installed.returncode == 0, installed.stderr[-2000:]

    listed = subprocess.run(
        [python, "-m", "pip", "list", "--format=freeze", "--exclude", "pip"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    names = {name_of(line) for line in listed.stdout.split()}
    assert names - {"setuptools"} == {"attrs", "bookiji"}, listed.stdout
    probe = (
        "import importlib.util, bookiji_core, bookiji_core.usecases; "
        "from importlib.resources import files; "
        f"missing = [m for m in {sorted(SERVICE)!r} if importlib.util.find_spec(m)]; "
        "ops = files('bookiji_entry') / 'ops_files' / 'prometheus' / 'alerts.yml'; "
        "print(bookiji_core.__version__, missing, ops.is_file())"
    )
    imported = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=60)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.split() == [bookiji_core.__version__, "[]", "True"]

    # bkctl is there, and says what to install instead of a traceback.
    bkctl = subprocess.run(
        [tmp_path / "venv" / "bin" / "bkctl", "--version"], capture_output=True, text=True
    )
    assert bkctl.returncode == 2, bkctl.stderr
    said = re.match(
        r"bkctl: the Bookiji service is not installed \((\w+) is missing\)", bkctl.stderr
    )
    assert said and said.group(1) in SERVER_PACKAGES, bkctl.stderr
    assert "pip install 'bookiji[server,postgres,stripe]'" in bkctl.stderr

    # docs/library.md's example books with the core install alone.
    code, expected = library_example()
    (tmp_path / "example.py").write_text(code)
    ran = subprocess.run(
        [python, "example.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == expected


def locked() -> dict[str, tuple[str, list[str]]]:
    """requirements.lock: name -> (version, hashes)."""
    text = (ROOT / "requirements.lock").read_text().replace("\\\n", " ")
    found = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        requirement, *options = line.split()
        name, _, version = requirement.partition("==")
        found[name_of(name)] = (version, [o for o in options if o.startswith("--hash=sha256:")])
    return found


def test_the_lock_pins_every_service_requirement_of_pyproject_with_hashes() -> None:
    from packaging.requirements import Requirement

    lock = locked()
    project = PYPROJECT["project"]
    extras = project["optional-dependencies"]
    wanted = [*project["dependencies"], *extras["server"], *extras["postgres"], *extras["stripe"]]
    for text in wanted:
        requirement = Requirement(text)
        name = name_of(requirement.name)
        assert name in lock, f"{name} is in pyproject.toml but not in requirements.lock"
        assert requirement.specifier.contains(lock[name][0]), f"{name}=={lock[name][0]}: {text}"
        for extra in requirement.extras:  # psycopg[binary] -> psycopg-binary
            assert f"{name}-{extra}" in lock, f"{text}: {name}-{extra} is not locked"
    for name, (version, hashes) in lock.items():
        assert re.fullmatch(r"[\w.+!]+", version), f"{name} is not pinned"
        assert hashes, f"{name} has no hash"
    assert not {"pytest", "py-spy", "mypy"} & set(lock), "the lock is the service's alone"
    header = (ROOT / "requirements.lock").read_text()
    assert "--extra=postgres --extra=server --extra=stripe --generate-hashes" in header


def test_the_lock_is_closed_under_the_dependencies_of_what_it_pins() -> None:
    """Each locked distribution's own requirements (for this Python) are locked too, checked
    with the metadata of the installed copy when it is the locked version."""
    from packaging.requirements import Requirement

    lock = locked()
    checked = 0
    for name, (version, _) in lock.items():
        try:
            distribution = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        if distribution.version != version:
            continue
        checked += 1
        for text in distribution.requires or []:
            requirement = Requirement(text)
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
                continue
            assert name_of(requirement.name) in lock, f"{name} needs {text}, not locked"
    assert checked >= len(lock) // 2, "too few locked versions installed here to check"


def test_bkctl_names_every_server_requirement_when_one_is_missing() -> None:
    import_names = {"sqlalchemy": "sqlalchemy", "prometheus-client": "prometheus_client"}
    # A requirement with an environment marker (uvloop: not on Windows) is an accelerator
    # that uvicorn does without, so bkctl does not ask for it.
    server = {
        name_of(r) for r in PYPROJECT["project"]["optional-dependencies"]["server"] if ";" not in r
    }
    assert {import_names.get(name, name) for name in server} == SERVER_PACKAGES
