"""The project's two entry points, needing only Python 3.11+, pip and npm:

    python3 tasks.py demo   creates .venv, installs connector, runs `connector demo`
    python3 tasks.py test   creates .venv, installs connector with its test extras, fetches the pinned
                            Shopify Admin schema, installs Debian's chromium and redis-server when
                            missing (as root), runs ruff and the whole test suite

Extra arguments after `test` go to pytest (e.g. `python3 tasks.py test -k pricing`).
"""

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def run(*command: str) -> None:
    print("+", " ".join(command), flush=True)
    result = subprocess.run(command, cwd=ROOT)
    if result.returncode:
        sys.exit(result.returncode)


def install(extras: str) -> None:
    """(Re)install into .venv when pyproject.toml changed since the last install."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this script runs before the venv exists
        sys.exit(
            f"connector needs Python 3.11 or newer; this is {sys.version.split()[0]}. Run it with python3.11."
        )
    if not (BIN / "python").exists():
        venv.create(VENV, with_pip=True)
    stamp = VENV / f".installed-{extras or 'base'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    run(str(BIN / "python"), "-m", "pip", "install", "-q", "--upgrade", "pip")
    run(str(BIN / "python"), "-m", "pip", "install", "-q", "-e", f".[{extras}]" if extras else ".")
    stamp.write_text(digest)


def demo(args: list[str]) -> None:
    install("")
    run(str(BIN / "connector"), "demo", *args)


def debian_package(command: str, package: str, needed_by: str) -> None:
    """Install Debian's `package` when `command` is missing: as root with apt-get, else say how."""
    if shutil.which(command):
        return
    if os.name == "posix" and os.geteuid() == 0 and shutil.which("apt-get"):
        run("apt-get", "update", "-qq")
        run("apt-get", "install", "-y", "-qq", package)
    else:
        print(f"{needed_by} needs {command}: install it (Debian/Ubuntu: sudo apt-get install {package})")


def browser() -> None:
    """The HTML report is checked in a real headless browser: Debian's chromium (no browser download)."""
    debian_package("chromium", "chromium", "the HTML report test")


def redis() -> None:
    """The distributed mode's tests start their own Redis server on a free loopback port."""
    debian_package("redis-server", "redis-server", "the distributed mode's tests")


def test(args: list[str]) -> None:
    install("test")
    browser()
    redis()
    run(str(BIN / "python"), "-m", "connector.platforms.shopify.schema")
    run(str(BIN / "ruff"), "check", ".")
    run(str(BIN / "python"), "-m", "pytest", "-n", "2", "--durations=15", *args)


if __name__ == "__main__":
    tasks = {"demo": demo, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in tasks:
        sys.exit(f"usage: python3 tasks.py {{{'|'.join(tasks)}}} [args]")
    tasks[sys.argv[1]](sys.argv[2:])
