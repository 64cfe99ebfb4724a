"""A real redis-server on 127.0.0.1 for the fleet tests, and fleet workers as subprocesses."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from crawling import FAST, REPO

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
_WORKERS: list[subprocess.Popen[str]] = []  # started by the running test


@pytest.fixture(autouse=True)
def _no_worker_outlives_its_test() -> Iterator[None]:
    """Kill the workers a failed test left running (they would poll Redis, and skew what follows)."""
    yield
    while _WORKERS:
        worker = _WORKERS.pop()
        if worker.poll() is None:
            worker.kill()
            worker.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start redis-server (Debian package) on a free loopback port; yield its URL; stop it."""
    if not Path(REDIS_SERVER).is_file():
        pytest.fail(f"redis-server not found at {REDIS_SERVER}: apt-get install redis-server (see .ci/run)")
    port, workdir = _free_port(), tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir), "--logfile", str(workdir / "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                log = (workdir / "redis.log").read_text(errors="replace")
                pytest.fail(f"redis-server did not start: {log}")
            time.sleep(0.05)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """The session's Redis, emptied for this test."""
    redis.Redis.from_url(redis_server).flushall()
    return redis_server


def worker_env() -> dict[str, str]:
    return os.environ | {
        "SCRAPY_SETTINGS_MODULE": "newsspider.settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }


def enqueue(cwd: Path, redis_url: str, *seeds: str) -> subprocess.CompletedProcess[str]:
    """Run ``newsspider enqueue`` as users do."""
    command = [sys.executable, "-m", "newsspider.cli", "enqueue", "--redis", redis_url, *seeds]
    return subprocess.run(command, cwd=cwd, env=worker_env(), capture_output=True, text=True, timeout=60)


def start_worker(cwd: Path, redis_url: str, name: str, *settings: str) -> subprocess.Popen[str]:
    """Start ``scrapy crawl portal`` as a fleet worker; its log goes to ``cwd/<name>.log``."""
    fleet = {"NEWSSPIDER_REDIS_URL": redis_url, "NEWSSPIDER_FLEET_WORKER": name,
             "NEWSSPIDER_FLEET_IDLE_SECONDS": 1, "NEWSSPIDER_FLEET_LEASE_SECONDS": 3,
             "NEWSSPIDER_FLEET_POLL_SECONDS": 0.2, "NEWSSPIDER_ALLOW_PRIVATE_ADDRESSES": True}  # fmt: skip
    args = [arg for key, value in fleet.items() for arg in ("-s", f"{key}={value}")]
    command = [sys.executable, "-m", "scrapy", "crawl", "portal", *args, *FAST, *settings]
    log = (cwd / f"{name}.log").open("w")
    worker = subprocess.Popen(
        command, cwd=cwd, env=worker_env(), stdout=log, stderr=subprocess.STDOUT, text=True
    )
    _WORKERS.append(worker)
    return worker


def wait_all(workers: list[subprocess.Popen[str]], timeout: float = 120) -> list[int]:
    deadline = time.monotonic() + timeout
    codes = []
    for worker in workers:
        try:
            codes.append(worker.wait(timeout=max(deadline - time.monotonic(), 1)))
        except subprocess.TimeoutExpired:
            worker.kill()
            codes.append(worker.wait())
    return codes
