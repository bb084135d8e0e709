"""The evidence file of a drill day: ops/drills/YYYY-MM-DD.md, one section per drill run."""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path

from bookiji_core.drills import TARGET_SECONDS, DrillResult


def _release() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        )
    except OSError:
        return "unknown"
    return done.stdout.strip() or "unknown"


def render(result: DrillResult, *, api: str, profile: str, runbook: str) -> str:
    verdict = "PASSED" if result.passed else "FAILED"
    lines = [
        f"## {result.drill} drill, {result.started_at:%H:%M:%S} UTC: {verdict}",
        "",
        f"- Drill: `bkctl drill {result.drill}` (runbook followed: {runbook})",
        f"- Against: {api} (profile {profile}), host {platform.node()}, release {_release()}",
        f"- Start / end (UTC): {result.started_at:%H:%M:%S} / {result.finished_at:%H:%M:%S}",
        f"- Total: {result.seconds:.2f} s against the {TARGET_SECONDS:g} s target",
        "",
        "| check | result | seconds | within 60 s | detail |",
        "|---|---|---|---|---|",
    ]
    for c in result.checks:
        ok = "ok" if c.ok else "FAILED"
        within = "yes" if c.within_target else "NO"
        lines.append(f"| {c.name} | {ok} | {c.seconds:.3f} | {within} | {c.detail} |")
    lines.append("")
    return "\n".join(lines) + "\n"


def write(folder: Path, result: DrillResult, **about: str) -> Path:
    """Append this run to the day's file (the UTC date of the drill), creating it if needed."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{result.started_at:%Y-%m-%d}.md"
    header = (
        ""
        if path.exists()
        else f"# Drills {result.started_at:%Y-%m-%d}\n\n"
        "Written by `bkctl drill`, each run as it happened.\n\n"
    )
    with path.open("a", encoding="utf-8") as out:
        out.write(header + render(result, **about))
    return path
