"""Real servers for the tests that need them: PostgreSQL (Debian's package) on a free local port.

The binaries are found on PATH or under ``/usr/lib/postgresql/*/bin``; where they are missing and the
tests run as root, Debian's ``postgresql`` is installed with apt-get (as the browser tests install
Chromium). PostgreSQL refuses to run as root: as root the server runs as the ``postgres`` user the
package creates (``runuser``). :func:`postgres_server` says in one line why it cannot start, for the
test to skip with.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from workshop import replicas

from .browser import _apt_install, free_port


class Unavailable(RuntimeError):
    """A server that cannot be had on this machine; the message says why and what would install it."""


def _postgres_bin() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(versions[-1]).parent if versions else None


def postgres_binaries() -> Path:
    """The folder of ``initdb`` and ``pg_ctl``, installing Debian's package as root where missing."""
    folder = _postgres_bin()
    if folder is None and _apt_install(["postgresql"]):
        folder = _postgres_bin()
    if folder is None:
        raise Unavailable("PostgreSQL is not installed (Debian: apt-get install postgresql, as root)")
    return folder


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise Unavailable("running as root and there is no 'postgres' user to run PostgreSQL as") from None
    return ["runuser", "-u", "postgres", "--", *command]


@contextlib.contextmanager
def postgres_server():
    """A fresh PostgreSQL cluster on a free port of 127.0.0.1, trust authentication, user ``workshop``;
    yields its SQLAlchemy URL and stops it (immediately) afterwards."""
    binaries = postgres_binaries()
    folder = Path(tempfile.mkdtemp(prefix="sd_postgres_"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data, port = folder / "data", free_port()
    run = _as_server_user
    done = subprocess.run(
        run([str(binaries / "initdb"), "-D", str(data), "-U", "workshop", "--auth=trust"]), capture_output=True
    )
    if done.returncode:
        raise Unavailable(f"initdb failed: {done.stderr.decode(errors='replace').strip()[:200]}")
    options = f"-p {port} -k {folder} -h 127.0.0.1"
    start = [str(binaries / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w", "-o", options, "start"]
    done = subprocess.run(run(start), capture_output=True)
    if done.returncode:
        raise Unavailable(f"PostgreSQL did not start: {(folder / 'server.log').read_text(errors='replace')[-300:]}")
    try:
        yield f"postgresql+psycopg://workshop@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(run([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def wait_for(check, seconds: float = 30.0):
    """Call ``check`` until it returns without an exception (its value), for at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return check()
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def nginx_binary() -> Path:
    """Debian's nginx, installed with apt-get as root where missing."""
    try:
        return replicas.nginx_binary()
    except replicas.ServeError:
        if not _apt_install(["nginx-light"]):
            raise Unavailable("nginx is not installed (Debian: apt-get install nginx-light, as root)") from None
    return replicas.nginx_binary()


@contextlib.contextmanager
def nginx_server(template: Path, hosts: list[str]):
    """nginx serving ``template`` (``deploy/nginx.conf.template``) on a free port in front of ``hosts``
    (host:port each), as ``python -m workshop serve`` runs it (:func:`workshop.replicas.nginx`); yields its URL."""
    nginx_binary()
    with replicas.nginx(hosts, f"127.0.0.1:{free_port()}", template) as url:
        yield url
