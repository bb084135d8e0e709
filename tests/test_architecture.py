"""The dependency rule and the composition rules, checked mechanically so they cannot rot."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"


def test_the_import_linter_contracts_in_pyproject_hold() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")

    result = subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _python_files() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def _reads_environment(source: str) -> bool:
    """`os.environ` or `os.getenv` used for reading; setting a variable for a library
    (`os.environ[NAME] = value`) is not configuration and does not count."""
    tree = ast.parse(source)
    stores = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store | ast.Del)
    }
    names = {"environ", "getenv", "environb"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in names and id(node) not in stores:
            return True
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and any(alias.name in names for alias in node.names)
        ):
            return True
    return False


def test_only_the_settings_module_reads_the_environment() -> None:
    readers = [
        path.relative_to(SRC).as_posix()
        for path in _python_files()
        if _reads_environment(path.read_text(encoding="utf-8"))
    ]

    assert readers == ["bookiji_entry/settings.py"]


def test_the_environment_check_tells_reading_from_setting() -> None:
    assert _reads_environment("import os\nos.environ.get('X')")
    assert _reads_environment("import os\nx = os.environ['X']")
    assert _reads_environment("from os import getenv")
    assert not _reads_environment("import os\nos.environ['PROMETHEUS_MULTIPROC_DIR'] = '/tmp'")


def test_only_the_composition_root_imports_punq() -> None:
    importers = [
        path.relative_to(SRC).as_posix()
        for path in _python_files()
        if re.search(r"^\s*(import punq|from punq\b)", path.read_text(encoding="utf-8"), re.M)
    ]

    assert importers == ["bookiji_entry/bootstrap.py"]


def test_importing_the_app_starts_nothing() -> None:
    # No engine, thread or server at import time: importing is free of side effects.
    code = (
        "import threading, bookiji_entry.app, bookiji_entry.cli, bookiji_entry.workers;"
        "assert threading.active_count() == 1, threading.enumerate()"
    )

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)

    assert result.returncode == 0, result.stderr


PACKAGES = ("bookiji_core", "bookiji_adapters", "bookiji_simcity", "bookiji_entry")


def _circles(imports: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected groups of two or more modules (Tarjan), each one import circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in sorted(imports.get(module, ())):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(group)

    for module in sorted(imports):
        if module not in index:
            visit(module)
    return found


def _module_imports() -> dict[str, set[str]]:
    import grimp

    # TYPE_CHECKING imports count: a circle a type checker walks is still a circle to a reader.
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=False, cache_dir=None)
    return {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}


def test_no_two_modules_import_each_other_even_for_type_checking_only() -> None:
    circles = list(_circles(_module_imports()))

    assert circles == []


def test_the_circle_finder_sees_a_type_only_circle() -> None:
    imports = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}

    assert _circles(imports) == [{"a", "b", "c"}]
    assert _circles({"a": {"b"}, "b": set()}) == []


def test_the_independence_contract_names_every_adapter_sub_package() -> None:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    (independence,) = [c for c in contracts if c["type"] == "independence"]
    packages = {
        f"bookiji_adapters.{d.name}"
        for d in (SRC / "bookiji_adapters").iterdir()
        if (d / "__init__.py").exists()
    }

    assert set(independence["modules"]) == packages
