"""A token revoked by one `bkctl` process is refused by a running `bkctl serve` at once."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import httpx

from .test_bkctl_serve import BKCTL, _wait_ready, free_port


def test_a_token_revoked_by_a_bkctl_process_is_refused_by_a_running_server_within_a_second(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOOKIJI_")}
    env["BOOKIJI_DATABASE_URL"] = f"sqlite:///{tmp_path / 'var' / 'bookiji.db'}"
    port = free_port()
    server = subprocess.Popen(
        [BKCTL, "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, server)

        def bkctl(*argv: str) -> str:
            done = subprocess.run(
                [BKCTL, "principals", *argv, "--as", "tester", "--json"],
                env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=True,
            )  # fmt: skip
            return done.stdout

        issued = json.loads(
            bkctl("invite", "--role", "customer", "--name", "Kim", "--email", "kim@example.test")
        )
        headers = {"Authorization": f"Bearer {issued['token']}"}
        with httpx.Client(base_url=base, timeout=5) as http:
            assert http.get("/api/bookings", headers=headers).status_code == 200

            bkctl("revoke", issued["subject_id"], "--reason", "test")
            revoked_at = time.monotonic()
            answer = http.get("/api/bookings", headers=headers)
            refused_after = time.monotonic() - revoked_at

        assert (answer.status_code, answer.json()["code"]) == (401, "token_revoked")
        # The first request after the revoking process exits is refused: no cache to expire.
        assert refused_after < 1.0
        print(f"first request after the revoke: refused in {refused_after * 1000:.1f} ms")
    finally:
        server.kill()
        server.wait(10)
