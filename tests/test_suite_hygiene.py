"""The test suite's own rules, checked: no wall-clock upper bounds, bounded thread joins,
thread exceptions fail tests, and the CI hypothesis profile is in force.

Speed belongs in benchmarks/: an upper bound on elapsed time in a unit test fails on a loaded
CI runner without any bug. Lower bounds ("waited at least the Retry-After") are behaviour and
stay allowed, and so do hang watchdogs: a comparison with a name containing ``deadline``
(``assert time.monotonic() < deadline, "never started"``).
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

TESTS = Path(__file__).parent
_CLOCKS = {"monotonic", "perf_counter", "time", "monotonic_ns", "perf_counter_ns", "time_ns"}
# Helpers that implement bounded waits (a deadline loop is not an assertion about speed).
_EXEMPT = {"_threads.py", "test_suite_hygiene.py"}


def _files() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if p.name not in _EXEMPT)


def _is_clock_call(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in _CLOCKS and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "time")


def _timed(node: ast.AST, names: set[str]) -> bool:
    return any(_is_clock_call(n) or (isinstance(n, ast.Name) and n.id in names)
               for n in ast.walk(node))


def _timed_names(tree: ast.AST) -> set[str]:
    # Names holding a clock reading or anything computed from one (start, elapsed, gap...).
    names: set[str] = set()
    changed = True
    while changed:
        changed = False
        for node in ast.walk(tree):
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and node.value:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if _timed(node.value, names):
                    for target in targets:
                        for leaf in ast.walk(target):
                            if isinstance(leaf, ast.Name) and leaf.id not in names:
                                names.add(leaf.id)
                                changed = True
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr in ("append", "extend", "add")
                  and isinstance(node.func.value, ast.Name) and node.func.value.id not in names
                  and any(_timed(arg, names) for arg in node.args)):
                names.add(node.func.value.id)  # times.append(time.monotonic())
                changed = True
    return names


def _is_deadline(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and "deadline" in node.id


def wall_clock_upper_bounds(source: str) -> list[int]:
    """Line numbers of asserts that bound elapsed wall-clock time from above."""
    tree = ast.parse(source)
    names = _timed_names(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assert):
            continue
        for compare in (n for n in ast.walk(node.test) if isinstance(n, ast.Compare)):
            operands = [compare.left, *compare.comparators]
            for i, op in enumerate(compare.ops):
                left, right = operands[i], operands[i + 1]
                if _is_deadline(left) or _is_deadline(right):
                    continue  # a hang watchdog, not a speed check
                if ((isinstance(op, (ast.Lt, ast.LtE)) and _timed(left, names))
                        or (isinstance(op, (ast.Gt, ast.GtE)) and _timed(right, names))):
                    found.append(node.lineno)
    return found


def unbounded_joins(source: str) -> list[int]:
    """Line numbers of ``x.join()`` calls without a timeout (str.join always has an argument)."""
    return [node.lineno for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "join" and not node.args and not node.keywords]


def test_the_checks_catch_what_they_look_for() -> None:
    sample = (
        "import time\n"
        "def t():\n"
        "    start = time.perf_counter()\n"
        "    per_call = (time.perf_counter() - start) / 2000\n"
        "    assert per_call < 500e-6\n"
        "    times.append(time.monotonic())\n"
        "    assert times[1] - times[0] < 0.6\n"
        "    a = time.monotonic()\n"
        "    assert 0.18 <= (time.monotonic() - a) < 0.6\n"
        "    assert 2.0 > time.monotonic() - a\n"
        "    assert time.monotonic() - a >= 0.18\n"
        "    deadline = time.monotonic() + 60\n"
        "    assert time.monotonic() < deadline, 'hung'\n"
        "    thread.join()\n"
        "    thread.join(5)\n"
        "    ', '.join(x)\n"
    )
    assert wall_clock_upper_bounds(sample) == [5, 7, 9, 10]
    assert unbounded_joins(sample) == [14]


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(TESTS)))
def test_no_wall_clock_upper_bounds_or_unbounded_joins(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert wall_clock_upper_bounds(source) == [], (
        f"{path.name}: elapsed-time upper bound in a unit test (move speed checks to "
        "benchmarks/, assert behaviour here)")
    assert unbounded_joins(source) == [], (
        f"{path.name}: join() without a timeout (use tests._threads.join_all)")


def test_ci_hypothesis_profile_is_loaded() -> None:
    current = settings.default
    assert current.deadline is None
    assert HealthCheck.too_slow in current.suppress_health_check
    assert current.derandomize or os.environ.get("HYPOTHESIS_PROFILE") == "dev"


def test_exceptions_in_threads_fail_tests(pytestconfig: pytest.Config) -> None:
    filters = pytestconfig.getini("filterwarnings")
    assert "error::pytest.PytestUnhandledThreadExceptionWarning" in filters
    assert "error::pytest.PytestUnraisableExceptionWarning" in filters
