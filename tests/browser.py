"""A real browser for the end-to-end tests and benchmarks: find Chromium, or install it, and start
the explorer on a free local port.

``make test`` runs ``python -m tests.browser`` first: it looks for a Chromium (``$CHROMIUM``, Debian's
``/usr/bin/chromium``, ``chromium`` or ``chromium-browser`` on the PATH, Playwright's own browser
cache); if there is none it installs one (Debian's ``chromium`` with ``apt-get`` when run as root,
else ``python -m playwright install chromium``), together with a CJK font so that the Chinese
interface shows characters, not boxes; if that fails too it stops with one line saying what to run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

from sd_model.paths import ROOT
from workshop.replicas import free_port

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEBIAN_PACKAGES = ("chromium", "fonts-noto-cjk")
HOW_TO = (
    "no Chromium for the browser tests: run `apt-get install chromium fonts-noto-cjk` as root, or "
    "`.venv/bin/python -m playwright install chromium`, or set CHROMIUM=/path/to/chromium"
)


class BrowserMissing(RuntimeError):
    """No Chromium could be found or installed; the message says what to run."""


def _playwright_cache() -> list[Path]:
    base = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or Path.home() / ".cache" / "ms-playwright")
    found = sorted(base.glob("chromium-*/chrome-linux*/chrome"), reverse=True)
    return found + sorted(base.glob("chromium_headless_shell-*/chrome-linux*/headless_shell"), reverse=True)


def find_chromium() -> Path | None:
    """The first Chromium found: ``$CHROMIUM``, ``/usr/bin/chromium``, the PATH, Playwright's cache.

    Raises
    ------
    BrowserMissing
        If ``$CHROMIUM`` is set but is not an executable file (a wrong setting is not skipped over).
    """
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        if not (Path(explicit).is_file() and os.access(explicit, os.X_OK)):
            raise BrowserMissing(f"CHROMIUM={explicit} is not an executable file")
        return Path(explicit)
    candidates = [Path("/usr/bin/chromium")]
    candidates += [Path(p) for p in (shutil.which("chromium"), shutil.which("chromium-browser")) if p]
    candidates += _playwright_cache()
    return next((c for c in candidates if c.is_file() and os.access(c, os.X_OK)), None)


def has_cjk_font() -> bool:
    """Whether fontconfig knows a font with Chinese characters (so Chromium draws them)."""
    if not shutil.which("fc-list"):
        return False
    listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False)
    return bool(listed.stdout.strip())


def _apt_install(packages) -> bool:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    print(f"== installing {' '.join(packages)} with apt-get (browser tests)", file=sys.stderr)
    steps = (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages])
    return all(subprocess.run(step, env=env, stdout=subprocess.DEVNULL, check=False).returncode == 0 for step in steps)


def ensure_browser() -> Path:
    """A Chromium for the browser tests, installed if none is found (see the module docstring)."""
    chromium = find_chromium()
    if chromium is None:
        if not _apt_install(DEBIAN_PACKAGES):
            print("== installing Chromium with playwright (browser tests)", file=sys.stderr)
            subprocess.run([sys.executable, "-m", "playwright", "install", "chromium"], check=False)
        chromium = find_chromium()
    if chromium is None:
        raise BrowserMissing(HOW_TO)
    if not has_cjk_font() and not _apt_install(DEBIAN_PACKAGES[1:]):
        print("note: no CJK font found; the Chinese interface will show boxes in screenshots", file=sys.stderr)
    return chromium


def slider_label(p) -> str:
    """The English label of a parameter's slider (its ``aria-label``), as ``explorer.widgets.parameter_slider``
    writes it: the label, and the units unless dimensionless."""
    return p.label_en if not p.units or p.units.lower() == "dmnl" else f"{p.label_en} ({p.units})"


def _serving(url: str, port: int, log_file: Path) -> str | None:
    """None once the server answers its health check and is ours (its log names the port: two servers
    given the same free port at once, the other's answer would otherwise be taken for this one's), else
    why not yet."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            if response.status != 200:
                return f"health check answered {response.status}"
    except OSError as err:
        return f"health check: {err}"
    if f"127.0.0.1:{port}" not in log_file.read_text(encoding="utf-8", errors="replace"):
        return f"the server answering on port {port} is not the one whose log is {log_file.name}"
    return None


@contextlib.contextmanager
def streamlit_server(
    log_file: Path, *, timeout: float = 240.0, script: Path | None = None, args: Sequence[str] = ()
) -> Iterator[str]:
    """Run the explorer as ``make run`` does (:mod:`explorer.serve`) in a subprocess; yield its URL
    once it answers its health check.

    Parameters
    ----------
    log_file : Path
        Where the server's output goes (named in the error if it does not start).
    timeout : float
        Seconds to wait for the health check.
    script : Path, optional
        Another Streamlit script, run with ``streamlit run`` in its own folder (which holds its
        ``.streamlit/config.toml``), instead of the explorer.
    args : sequence of str
        More arguments of :mod:`explorer.serve` (``["--mdl", PATH]`` opens it on another model).
    """
    port = free_port()
    where = ["--server.port", str(port), "--server.address", "127.0.0.1"]
    if script is None:
        command, cwd = [sys.executable, "-m", "explorer.serve", *args, *where], ROOT
    else:
        command, cwd = [sys.executable, "-m", "streamlit", "run", str(script), *where], Path(script).parent
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "w") as log:
        # the model comes from the arguments, never from a variable left in the test's environment
        env = {k: v for k, v in os.environ.items() if k not in ("SD_MODEL_MDL", "SD_MODEL_METADATA")}
        env["PYTHONUNBUFFERED"] = "1"  # its "URL: ...:port" line reaches the log when printed, not at exit
        process = subprocess.Popen(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, env=env)
        PROCESSES[port] = process  # a test may kill it (the workshop room's restart test)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + timeout
            while (why := _serving(url, port, log_file)) is not None:
                if process.poll() is not None or time.monotonic() > deadline:
                    waited = timeout - (deadline - time.monotonic())
                    began = time.strftime("%H:%M:%S", time.localtime(time.time() - waited))
                    raise RuntimeError(
                        f"streamlit (launched {began}) did not start in {waited:.0f} s ({why}); see {log_file}"
                    )
                time.sleep(0.5)
            yield url
        finally:
            PROCESSES.pop(port, None)
            if process.poll() is None:
                process.terminate()
            process.wait(timeout=20)


#: The servers :func:`streamlit_server` runs, by port.
PROCESSES: dict[int, subprocess.Popen] = {}


def main() -> int:
    """``python -m tests.browser``: make sure a browser is there; print where, or one line of what to run."""
    try:
        print(f"browser for the tests: {ensure_browser()}")
    except BrowserMissing as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
