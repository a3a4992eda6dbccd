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
