"""`bkctl profile --pid P --seconds S`: a flame graph of a running process (runbook Incident-004).

py-spy samples the process from outside, without restarting it or changing its code. It is the
optional `ops` extra (`pip install 'bookiji[ops]'`). Attaching needs the right to ptrace the
process: root, CAP_SYS_PTRACE, or (kernel.yama.ptrace_scope 0) the same user. `--nonblocking`
(the default here) samples without pausing the process, so a live API process keeps serving.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bookiji_entry.cli._common import CliError

MAX_SECONDS = 600


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "profile",
        help="record a flame graph (SVG) of a running Bookiji process with py-spy",
        description=(
            "Sample a running process for --seconds with py-spy and write a flame graph. Needs "
            "the ops extra (pip install 'bookiji[ops]') and the right to ptrace the process "
            "(root or CAP_SYS_PTRACE)."
        ),
    )
    parser.add_argument("--pid", type=int, required=True, help="the process id (ps -eo pid,args)")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to sample (30)")
    parser.add_argument(
        "--out", type=Path, default=None, help="the SVG to write (default: bookiji-<pid>-<UTC>.svg)"
    )
    parser.add_argument("--rate", type=int, default=100, help="samples per second (100)")
    parser.add_argument(
        "--blocking",
        action="store_true",
        help="pause the process for each sample (more exact stacks; it stops serving meanwhile)",
    )
    parser.set_defaults(run=run)


def py_spy() -> str | None:
    """The py-spy next to this Python (the venv's), else on PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("py-spy")


def run(args: argparse.Namespace) -> int:
    if not 0 < args.seconds <= MAX_SECONDS:
        raise CliError(f"--seconds must be more than 0 and at most {MAX_SECONDS}", 2)
    if args.rate < 1:
        raise CliError("--rate must be 1 or more", 2)
    if args.pid <= 0 or not Path(f"/proc/{args.pid}").exists():
        raise CliError(f"no process {args.pid} on this host", 2)
    tool = py_spy()
    if tool is None:
        raise CliError("py-spy is not installed: pip install 'bookiji[ops]' (README, Set up)", 3)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or Path(f"bookiji-{args.pid}-{stamp}.svg")
    command = [tool, "record", "--pid", str(args.pid), "--duration", f"{args.seconds:g}"]
    command += ["--rate", str(args.rate), "--format", "flamegraph", "--output", str(out)]
    if not args.blocking:
        command.append("--nonblocking")
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not out.is_file():
        detail = (done.stderr or done.stdout).strip().splitlines()
        hint = " (attaching needs root or CAP_SYS_PTRACE)" if "ermission" in done.stderr else ""
        raise CliError(f"py-spy failed{hint}: {detail[-1] if detail else done.returncode}", 1)
    took = time.monotonic() - started
    print(f"wrote {out} ({out.stat().st_size} bytes): {args.seconds:g} s of pid {args.pid}")
    print(f"  sampled at {args.rate}/s in {took:.1f} s; open it in a browser")
    return 0
