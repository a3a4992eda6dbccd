"""``session.client("s3")`` is typed for users: mypy checks a small program against hub.

The generated service index gives ``Session.client`` one overload per service (the core names
none), and the generated ``types.pyi`` TypedDicts type each method's parameters and result.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api")

HERE = Path(__file__).resolve().parent / "typing"
ROOT = HERE.parent.parent


def _mypy(path: Path, tmp_path: Path) -> tuple[str, int]:
    stdout, stderr, status = mypy_api.run([
        "--strict", "--no-incremental", "--cache-dir", str(tmp_path / "cache"),
        "--python-version", "3.10", str(path),
    ])
    return stdout + stderr, status


def test_a_typed_user_program_checks_clean(tmp_path: Path) -> None:
    out, status = _mypy(HERE / "use_s3.py", tmp_path)
    assert status == 0, out


def test_wrong_parameters_and_result_types_are_errors(tmp_path: Path) -> None:
    out, status = _mypy(HERE / "bad_s3.py", tmp_path)
    assert status == 1
    lines = {int(m.group(1)) for m in re.finditer(r"bad_s3\.py:(\d+): error", out)}
    source = (HERE / "bad_s3.py").read_text().splitlines()
    expected = {n for n, line in enumerate(source, 1) if "# E" in line}
    assert lines == expected, out
    assert '"Bodyy"' in out and '"Bucket"' in out


def test_installed_hub_is_typed_outside_the_repo(tmp_path: Path) -> None:
    """mypy run from another directory finds hub through site-packages, typed.

    setuptools' default editable install is an import hook mypy cannot follow: outside the
    repository mypy found no ``hub`` at all. tools/dev.py installs with ``editable_mode=compat``
    (a .pth file); a wheel install is typed through ``py.typed``.
    """
    import os
    import subprocess
    import sys

    program = tmp_path / "user_program.py"
    program.write_text((HERE / "use_s3.py").read_text()
                       + "\n\nreveal_type(hub.Session().client('s3'))\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MYPYPATH")}
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir",
         str(tmp_path / "cache"), "--python-version", "3.10", program.name],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert 'Revealed type is "hub.services.s3.client.S3Client"' in out, out
    assert str(ROOT) not in str(tmp_path)  # really outside the repository
