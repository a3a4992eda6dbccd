#!/usr/bin/env python3
"""Developer entry point: builds its own virtualenv, then runs tests, benchmarks or docs.

Usage::

    python3 tools/dev.py test [pytest args...]   # ruff + mypy + the whole test suite
    python3 tools/dev.py bench [run.py args...]   # the benchmarks (the project's main job)
    python3 tools/dev.py docs                    # build the docs site (warnings are errors)

Only python3 and pip are needed: the virtualenv (``.venv-<python version>``) is created on first
use and re-synced whenever ``setup.cfg`` changes. ``--python PATH`` picks another interpreter
(CI runs the oldest and newest supported versions when they are installed).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXTRAS = {"test": "test", "bench": "bench,test", "docs": "docs,test"}
# setuptools' default editable install is an import hook that type checkers cannot follow
# (mypy would see no `hub` outside the repo root, so every hub type became Any for users).
# "compat" puts the source directory on sys.path through a .pth file, which mypy reads.
EDITABLE = ("--config-settings", "editable_mode=compat")


def _run(*args: str | Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    result = subprocess.run([str(a) for a in args], cwd=ROOT, env=env)
    if result.returncode != 0:
        sys.exit(result.returncode)


def _venv(python: str, extras: str) -> Path:
    version = subprocess.run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    venv = ROOT / f".venv-{version}"
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    venv_python = bin_dir / "python"
    if not venv_python.exists():
        _run(python, "-m", "venv", venv)
    # Re-install only when the dependency declaration (or the extras asked for) changed.
    stamp = venv / f".installed-{extras.replace(',', '-')}"
    digest = hashlib.sha256((ROOT / "setup.cfg").read_bytes() + extras.encode()
                            + " ".join(EDITABLE).encode()).hexdigest()
    if not stamp.exists() or stamp.read_text() != digest:
        _run(venv_python, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        _run(venv_python, "-m", "pip", "install", "--quiet", *EDITABLE, "-e", f".[{extras}]")
        stamp.write_text(digest)
    return venv_python


def main(argv: list[str]) -> None:
    python = sys.executable
    if len(argv) >= 2 and argv[0] == "--python":
        python, argv = argv[1], argv[2:]
    if not argv or argv[0] not in EXTRAS:
        print(__doc__)
        sys.exit(2)
    command, rest = argv[0], argv[1:]
    py = _venv(python, EXTRAS[command])
    if command == "test":
        _run(py, "-m", "ruff", "check", "hub", "tests", "benchmarks", "tools", "examples")
        _run(py, "-m", "mypy", "hub")
        _run(py, "tools/codegen", "--check")  # generated service packages match the generator
        _run(py, "-m", "pytest", "-n", "auto", *rest)
    elif command == "bench":
        _run(py, "benchmarks/run.py", *rest)
    else:
        _run(py, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html")


if __name__ == "__main__":
    main(sys.argv[1:])
