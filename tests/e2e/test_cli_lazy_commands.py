"""`bkctl` imports only what the command asked for needs: the command index in
bookiji_entry.cli matches the real command tree, and `bkctl --help` lists every command
without importing SQLAlchemy, Starlette, Stripe, httpx or any adapter."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from bookiji_entry.cli import COMMANDS, build_parser, command_modules, main

HEAVY = ("sqlalchemy", "starlette", "stripe", "httpx", "alembic", "punq", "bookiji_adapters")


def test_the_command_index_is_the_real_command_tree_in_order() -> None:
    real = []
    for module in command_modules():
        parser = argparse.ArgumentParser()
        commands = parser.add_subparsers()
        module.register(commands)
        short = module.__name__.rsplit(".", 1)[1]
        real += [(action.dest, short, action.help) for action in commands._choices_actions]

    assert list(COMMANDS) == real


def test_help_from_the_index_is_the_help_of_the_whole_tree() -> None:
    assert build_parser(only=None).format_help() == build_parser().format_help()


def test_bkctl_help_lists_every_command_and_imports_no_heavy_package() -> None:
    probe = (
        "import sys\n"
        "from bookiji_entry.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    *usage, imported = done.stdout.strip().splitlines()

    assert imported == "[]"
    listed = [line.split()[0] for line in usage if line.startswith("    ") and line.split()]
    assert [name for name, _module, _help in COMMANDS] == [
        word for word in listed if word in {name for name, _m, _h in COMMANDS}
    ]


def test_a_command_of_a_module_with_several_parses_with_that_module_alone(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["dlq", "--help"])

    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("usage: bkctl dlq")


def test_an_unknown_command_is_refused_with_the_list_of_commands(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["bookingz"])

    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'bookingz'" in err and "'worker'" in err
