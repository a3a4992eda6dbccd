"""Many threads read a Session while others publish snapshots: no torn reads, no lost updates.

Writers change two fields together in one ``edit()``; a reader that ever saw them disagree would
have seen half a change. Bounded by iteration counts, not time.
"""

from __future__ import annotations

import threading

import hub
from hub import Config, Session

READERS = 16
WRITERS = 2
READS_PER_THREAD = 3_000
MAX_READS_PER_THREAD = 1_000_000  # the bound on reading on while no change has been seen
WRITES_PER_THREAD = 400
LOCAL = Config(region="us-east-1", endpoint_url="http://127.0.0.1:9",
               credentials=hub.Credentials("AKIDEXAMPLE", "secret"))


def _run(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive(), "a stress thread hung"


def test_clients_see_whole_snapshots_and_versions_never_go_back() -> None:
    session = Session(LOCAL, Config(max_attempts=1, read_timeout=1))
    published: dict[int, tuple[int, float]] = {1: (1, 1.0)}
    published_lock = threading.Lock()
    errors: list[BaseException] = []
    start = threading.Barrier(READERS + WRITERS)

    def writer(index: int) -> None:
        try:
            start.wait()
            for i in range(WRITES_PER_THREAD):
                value = 2 + index + WRITERS * i  # unique per write across writers
                with session.edit() as editor:
                    editor.update(Config(max_attempts=value))
                    editor.update(Config(read_timeout=value))
                snapshot = editor.published
                assert snapshot is not None
                with published_lock:
                    published[snapshot.version] = (value, float(value))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    seen: list[list[tuple[int, int, float]]] = [[] for _ in range(READERS)]

    def reader(index: int) -> None:
        try:
            start.wait()
            last_version = 0
            i = 0
            # At least READS_PER_THREAD reads, and on until a published change was seen: a
            # client costs well under a microsecond, so the reads could otherwise all finish
            # before a writer first gets the GIL after the barrier (seen on 3.13).
            while i < READS_PER_THREAD or (last_version <= 1 and i < MAX_READS_PER_THREAD):
                i += 1
                client = session.client("s3" if i % 2 else "dynamodb")
                config = client.config
                version = client.client_config.snapshot.version
                assert config.max_attempts == config.read_timeout, "torn read"
                assert version >= last_version, "snapshot version went backwards"
                last_version = version
                seen[index].append((version, config.max_attempts or 0,
                                    config.read_timeout or 0.0))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    threads += [threading.Thread(target=reader, args=(i,)) for i in range(READERS)]
    _run(threads)

    assert errors == []
    assert session.version == 1 + WRITERS * WRITES_PER_THREAD
    assert len(published) == 1 + WRITERS * WRITES_PER_THREAD
    distinct_versions = set()
    for observations in seen:
        for version, attempts, timeout in observations:
            # Every observed config is exactly the one published under that version.
            assert published[version] == (attempts, timeout)
            distinct_versions.add(version)
    assert len(distinct_versions) > 1, "readers never observed a change: test proves nothing"


def test_concurrent_builders_lose_no_update() -> None:
    session = Session(LOCAL)
    threads_count, edits_each = 8, 50
    start = threading.Barrier(threads_count)
    errors: list[BaseException] = []

    def handler(request: object) -> None:
        """No-op."""

    def worker(index: int) -> None:
        try:
            start.wait()
            for i in range(edits_each):
                if i % 2:
                    session.push_back("build", handler, name=f"t{index}.{i}")
                else:
                    with session.edit() as editor:
                        editor.push_back("complete", handler, name=f"t{index}.{i}")
                        editor.update(Config(user_agent_extra=f"t{index}"))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    _run([threading.Thread(target=worker, args=(i,)) for i in range(threads_count)])
    assert errors == []
    names = set(session.handlers.build.names) | set(session.handlers.complete.names)
    expected = {f"t{t}.{i}" for t in range(threads_count) for i in range(edits_each)}
    assert expected <= names
    assert session.version == 1 + threads_count * edits_each
