"""Real servers for tests: start a process on a free loopback port, wait until it answers, stop it cleanly.

Used by the browser tests (the app through ``hcp serve``, the OIDC provider mock) and the security tests (the app
started every way a user starts it). One place for the start/wait/stop lifecycle, so a fix to it reaches all.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The clock every served app runs on (the suite's one clock).
TODAY = "2026-11-23"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(
    command: list[str],
    *,
    ready_url: str,
    what: str,
    env: dict | None = None,
    seconds: float = 90,
    own_group: bool = False,
) -> subprocess.Popen:
    """Start ``command`` (output captured) and return it once ``ready_url`` answers 200.

    ``own_group`` starts it in a process group of its own, for launchers (``make``, ``streamlit``) whose children
    must be stopped with them. If the process exits or does not answer within ``seconds``, it is stopped and the
    error carries the end of its output.
    """
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=own_group,
    )
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited: {process.stdout.read().decode(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(ready_url, timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.3)
    stop(process)
    raise RuntimeError(f"{what} did not answer {ready_url} within {seconds:.0f} s")


def stop(process: subprocess.Popen) -> None:
    """Stop a process started by :func:`start` (its whole group if it has one), then close its output."""
    group = os.getpgid(process.pid) == process.pid if process.poll() is None else False
    try:
        if group:
            os.killpg(process.pid, signal.SIGTERM)
        else:
            process.terminate()
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        if group:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
        process.wait()
    except ProcessLookupError:
        process.wait()
    process.stdout.close()


def app_env(db_path: Path, env_extra: dict | None = None) -> dict:
    """The environment a served app runs in: its database, the suite's clock, no usage statistics (``env_extra``
    adds to it or overrides it)."""
    return {
        **os.environ,
        "HCP_DB": str(db_path),
        "HCP_TODAY": TODAY,
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        **(env_extra or {}),  # may set another clock (HCP_TODAY)
    }


def start_app(db_path: Path, env_extra: dict | None = None, port: int | None = None):
    """Start ``hcp serve`` on a free port (or ``port``); returns (process, base_url) once /_stcore/health answers."""
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    process = start(
        [sys.executable, "-m", "kpi", "serve", "--port", str(port)],
        ready_url=f"{base}/_stcore/health",
        what="the app",
        env=app_env(db_path, env_extra),
    )
    return process, base


@contextlib.contextmanager
def serving(db_path: Path, env_extra: dict | None = None, port: int | None = None) -> Iterator[str]:
    """The app served from ``db_path`` for the duration of a ``with`` block; yields its base URL."""
    process, base = start_app(db_path, env_extra, port)
    try:
        yield base
    finally:
        stop(process)
