"""Builders under contention: concurrent update()/edit()/handler edits lose no change."""

from __future__ import annotations

from typing import Any

import hub
from hub import Config, Session
from tests._threads import run_in_threads

THREADS = 8
ROUNDS = 25


def _noop(request: Any) -> None:
    return None


def test_concurrent_edits_lose_nothing() -> None:
    session = Session(Config(region="us-east-1", credentials=hub.Credentials("a", "b")))
    start_version = session.version
    seen_versions: list[int] = []

    def worker(i: int) -> None:
        for j in range(ROUNDS):
            if j % 3 == 0:
                session.push_back("build", _noop, name=f"t{i}.direct{j}")
            elif j % 3 == 1:
                with session.edit() as editor:
                    editor.update(Config(user_agent_extra=f"t{i}/{j}"))
                    editor.push_back("complete", _noop, name=f"t{i}.edit{j}")
                    editor.push_front("build", _noop, name=f"t{i}.front{j}")
                assert editor.published is not None
                seen_versions.append(editor.published.version)
            else:
                session.update(Config(max_attempts=1 + (i * ROUNDS + j) % 7))
                session.client("dynamodb")  # readers interleave with writers

    assert run_in_threads(THREADS, worker, timeout=20) == []
    names = {h.name for h in session.handlers.build.handlers} | {
        h.name for h in session.handlers.complete.handlers}
    for i in range(THREADS):
        for j in range(ROUNDS):
            kind = ("direct", "edit", None)[j % 3]
            if kind == "direct":
                assert f"t{i}.direct{j}" in names
            elif kind == "edit":
                assert {f"t{i}.edit{j}", f"t{i}.front{j}"} <= names
    # Handler edits always publish; an update() that changes nothing publishes nothing.
    edits = sum(1 for j in range(ROUNDS) if j % 3 != 2) * THREADS
    assert edits <= session.version - start_version <= THREADS * ROUNDS
    assert len(set(seen_versions)) == len(seen_versions)  # each edit got its own snapshot
    # Core handlers survived all of it.
    assert "core.send" in {h.name for h in session.handlers.send.handlers}
