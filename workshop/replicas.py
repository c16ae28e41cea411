"""Replicas of the explorer behind nginx on this machine: ``python -m workshop serve --replicas 2``.

Streamlit runs every session's script in a thread of one process, so one server keeps about one core busy
however many participants wait (Python's interpreter lock). On a machine with more cores, a room whose
teams may all act in the same second is served faster by several explorer processes behind a proxy
(docs/workshop.md, *Measured*: on 2 cores, 30 participants moving at once, p95 move -> cards 2.4 s on one
server, 1.2 s on two). This module starts them: each replica is ``python -m explorer.serve`` on a free
local port, all on the same database (``SD_WORKSHOP_DB``, else the SQLite file, which processes of one
machine may share), and nginx (Debian's package) in front with ``deploy/nginx.conf.template``, sticky by a
cookie. The replicas and nginx stop with it (Ctrl-C, SIGTERM).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from string import Template

from sd_model.paths import ROOT

TEMPLATE = ROOT / "deploy" / "nginx.conf.template"


class ServeError(RuntimeError):
    """Replicas or nginx that cannot start here; the message is one line saying why."""


def free_port(address: str = "127.0.0.1") -> int:
    """A TCP port free on ``address`` at the time of asking."""
    with socket.socket() as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


def nginx_binary() -> Path:
    """Debian's nginx (``nginx-light``), on PATH or in ``/usr/sbin``."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").is_file() else None)
    if found is None:
        raise ServeError("nginx is not installed (Debian: apt-get install nginx-light, as root)")
    return Path(found)


def nginx_config(listen: str, replicas: Sequence[str], prefix: Path, template: Path = TEMPLATE) -> str:
    """``template`` filled in: nginx serving ``listen`` (``host:port``) in front of ``replicas`` (``host:port``
    each), writing its logs and temporary files under ``prefix``."""
    servers = "\n        ".join(f"server {replica};" for replica in replicas)
    text = Template(template.read_text(encoding="utf-8")).safe_substitute(  # nginx has its own $variables
        LISTEN_PORT=listen, SERVERS=servers, PREFIX=str(prefix)
    )
    if os.geteuid() == 0:
        text = "user root;\n" + text  # the workers write the temporary files of the prefix folder
    return text


def check_free(listen: str) -> tuple[str, int]:
    """``listen`` (``host:port``) as a pair, checked free: nginx retries a taken port for seconds, while
    another program answers there.

    Raises
    ------
    ServeError
        Where the port cannot be listened on (taken, or a privileged port without the right).
    """
    host, port = listen.rsplit(":", 1)
    with socket.socket() as probe:
        try:
            probe.bind((host, int(port)))
        except OSError as err:
            raise ServeError(f"cannot listen on {listen}: {err.strerror}") from None
    return host, int(port)


def _with_parent() -> None:  # (in the child, before exec) Linux: a signal when the parent dies, even by SIGKILL
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


#: Keyword arguments of :class:`subprocess.Popen` so that a replica or nginx stops when this process does.
CHILD = {"preexec_fn": _with_parent} if sys.platform == "linux" else {}


def _wait(check, seconds: float, what: str, process: subprocess.Popen, log: Path | None = None) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            check()
            return
        except OSError:
            if process.poll() is not None:
                tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log and log.exists() else []
                raise ServeError(f"{what} stopped at start{': ' + tail[0] if tail else ''}") from None
            if time.monotonic() > deadline:
                raise ServeError(f"{what} did not answer within {seconds:.0f} s") from None
            time.sleep(0.3)


@contextlib.contextmanager
def nginx(replicas: Sequence[str], listen: str, template: Path = TEMPLATE) -> Iterator[str]:
    """nginx in front of ``replicas`` on ``listen`` (``host:port``) until the block ends; yields its URL.

    Raises
    ------
    ServeError
        Where nginx is missing, refuses the configuration, or does not start.
    """
    binary = nginx_binary()
    host, port = check_free(listen)
    folder = Path(tempfile.mkdtemp(prefix="sd_nginx_"))
    conf = folder / "nginx.conf"
    conf.write_text(nginx_config(listen, replicas, folder, template), encoding="utf-8")
    test = subprocess.run([str(binary), "-t", "-c", str(conf), "-p", str(folder)], capture_output=True, text=True)
    if test.returncode:
        raise ServeError(f"nginx refuses {conf}: {test.stderr.strip().splitlines()[-1]}")
    process = subprocess.Popen(
        [str(binary), "-c", str(conf), "-p", str(folder), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        **CHILD,
    )
    try:
        host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        connect = lambda: socket.create_connection((host, int(port)), timeout=1).close()  # noqa: E731
        _wait(connect, 20, "nginx", process, folder / "error.log")
        yield f"http://{host}:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def explorers(count: int, logs: Path, args: Sequence[str] = (), timeout: float = 300.0) -> Iterator[list[str]]:
    """``count`` explorers (``python -m explorer.serve``, warm) on free ports of 127.0.0.1, started together;
    yields their ``host:port`` once each answers its health check. Each writes to ``logs/explorer_K.log``."""
    logs.mkdir(parents=True, exist_ok=True)
    started: list[tuple[subprocess.Popen, str, Path]] = []
    try:
        for k in range(1, count + 1):
            port, log = free_port(), logs / f"explorer_{k}.log"
            where = ["--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true"]
            with open(log, "w") as out:
                command = [sys.executable, "-m", "explorer.serve", *args, *where]
                process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, **CHILD)
            started.append((process, f"127.0.0.1:{port}", log))
        for k, (process, host, log) in enumerate(started, 1):

            def healthy(host=host):
                urllib.request.urlopen(f"http://{host}/_stcore/health", timeout=2).close()

            _wait(healthy, timeout, f"replica {k} ({log})", process, log)
        yield [host for _, host, _ in started]
    finally:
        for process, _, _ in started:
            process.terminate()
        for process, _, _ in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


def serve(replicas: int, port: int, address: str, logs: Path, args: Sequence[str] = ()) -> None:
    """Start ``replicas`` explorers and nginx on ``address:port`` in front of them; return on Ctrl-C or
    SIGTERM, everything stopped."""
    check_free(f"{address}:{port}")  # before the replicas' start, not after
    signal.signal(signal.SIGTERM, _interrupt)
    with explorers(replicas, logs, args) as hosts, nginx(hosts, f"{address}:{port}") as url:
        shown = url if address not in ("0.0.0.0", "") else f"http://{socket.gethostname()}:{port}"
        counted = f"{replicas} replica{'s' if replicas > 1 else ''}"
        print(f"the explorer at {shown} ({counted}: {', '.join(hosts)}; logs in {logs}); Ctrl-C stops")
        print(f"workshop room: {shown}/room", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
