"""``python -m workshop serve``: replicas of the explorer behind nginx on one machine, as a facilitator runs
them for a room whose teams may all act at once. Two replicas start, nginx sends browsers (by their
``sd_replica`` cookie) to both, each replica serves the room's page from the one database, and SIGTERM
stops every process; a port already taken is one line and exit status 2. Skips, saying why, where nginx
cannot be installed."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from sd_model.paths import ROOT

from .browser import free_port
from .services import Unavailable, nginx_binary

pytestmark = pytest.mark.xdist_group("browser")  # (two explorers starting: with the other servers' tests)


@pytest.fixture(scope="module")
def nginx():
    try:
        return nginx_binary()
    except Unavailable as why:
        pytest.skip(str(why))


def _replica(url: str, cookie: str) -> str:
    request = urllib.request.Request(f"{url}/_stcore/health", headers={"Cookie": f"sd_replica={cookie}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers["X-SD-Replica"]


def _children(pid: int) -> set[int]:
    """Every process descended from ``pid`` (Linux ``/proc``)."""
    parents = {}
    for stat in os.scandir("/proc"):
        if stat.name.isdigit():
            try:
                with open(f"/proc/{stat.name}/stat") as f:
                    parents[int(stat.name)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                pass
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def test_two_replicas_behind_nginx_start_share_the_database_and_stop(nginx, tmp_path):
    port = free_port()
    env = os.environ | {"SD_WORKSHOP_DB": f"sqlite:///{tmp_path / 'rooms.sqlite'}", "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "workshop", "serve", "--port", str(port), "--address", "127.0.0.1",
               "--logs", str(tmp_path / "logs")]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first = process.stdout.readline()
        assert first.startswith(f"the explorer at http://127.0.0.1:{port} (2 replicas: "), first
        assert process.stdout.readline().strip() == f"workshop room: http://127.0.0.1:{port}/room"
        url = f"http://127.0.0.1:{port}"
        hosts = {_replica(url, f"browser{i}") for i in range(32)}
        assert len(hosts) == 2 and all(h.startswith("127.0.0.1:") for h in hosts), hosts
        for host in hosts:  # each replica itself serves the explorer, and both use the one database file
            with urllib.request.urlopen(f"http://{host}/_stcore/health", timeout=10) as answer:
                assert answer.read() == b"ok"
            assert f"--server.port {host.split(':')[1]}" in _commands(process.pid)
        assert (tmp_path / "rooms.sqlite").is_file()
        family = _children(process.pid)
        assert len(family) >= 4  # two explorers, nginx's master and its workers
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        assert not _alive(family)
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()


def _alive(pids: set[int], seconds: float = 20.0) -> set[int]:
    """Those of ``pids`` still running after waiting up to ``seconds`` for them to end (a zombie, ended but
    not yet reaped by whoever inherited it, counts as ended)."""
    deadline = time.monotonic() + seconds
    while True:
        running = set()
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] != "Z":
                        running.add(pid)
            except OSError:
                pass
        if not running or time.monotonic() > deadline:
            return running
        time.sleep(0.2)


def _commands(pid: int) -> str:
    """The command lines of ``pid``'s descendants, one string."""
    lines = []
    for child in _children(pid):
        try:
            with open(f"/proc/{child}/cmdline", "rb") as f:
                lines.append(f.read().replace(b"\0", b" ").decode())
        except OSError:
            pass
    return "\n".join(lines)


def test_a_port_already_taken_is_one_line_and_status_2(nginx, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = os.environ | {"SD_WORKSHOP_DB": f"sqlite:///{tmp_path / 'rooms.sqlite'}"}
        done = subprocess.run(
            [sys.executable, "-m", "workshop", "serve", "--replicas", "1", "--port", str(port), "--address",
             "127.0.0.1", "--logs", str(tmp_path / "logs")],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    assert done.returncode == 2, done.stderr
    err = done.stderr.strip()
    assert err == f"python -m workshop: cannot listen on 127.0.0.1:{port}: Address already in use", err
    assert "Traceback" not in done.stderr and err.count("\n") == 0


def test_a_killed_serve_leaves_no_replica_or_nginx_behind(nginx, tmp_path):
    env = os.environ | {"SD_WORKSHOP_DB": f"sqlite:///{tmp_path / 'rooms.sqlite'}", "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "workshop", "serve", "--replicas", "1", "--port", str(free_port()),
               "--address", "127.0.0.1", "--logs", str(tmp_path / "logs")]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    family: set[int] = set()
    try:
        assert process.stdout.readline().startswith("the explorer at ")
        family = _children(process.pid)
        assert len(family) >= 3  # the explorer, nginx's master and its workers
        process.kill()  # SIGKILL: no clean-up of its own runs
        process.wait(timeout=20)
        assert not _alive(family, 30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        for pid in family:  # (what the failing assertion found: not left to the other tests)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def test_stopped_while_starting_it_says_so_in_one_line_and_leaves_nothing(nginx, tmp_path):
    env = os.environ | {"SD_WORKSHOP_DB": f"sqlite:///{tmp_path / 'rooms.sqlite'}"}
    command = [sys.executable, "-m", "workshop", "serve", "--port", str(free_port()), "--address", "127.0.0.1",
               "--logs", str(tmp_path / "logs")]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    family: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while len(family) < 2 and time.monotonic() < deadline:  # the two explorers are starting
            time.sleep(0.1)
            family = _children(process.pid)
        assert len(family) >= 2
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
        assert out == "" and process.returncode == 130, (out, err)
        assert err == "python -m workshop: stopped before the replicas were ready\n", err
        assert not _alive(family)
    finally:
        process.kill()
        process.communicate()
        for pid in family:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
