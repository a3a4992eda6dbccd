"""Lazy service models: nothing is built at import or client creation; an operation (and only
the shapes it reaches) is built on first use; memory grows with the operations used."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hub.protocols import OperationModel
from hub.services._lazy import lazy_service_model

ROOT = Path(__file__).resolve().parent.parent


def _python(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_import_and_client_creation_read_no_model() -> None:
    out = _python("""
        import sys
        import hub
        assert not any(m.startswith("hub.services.") for m in sys.modules), sorted(sys.modules)
        session = hub.Session(hub.Config(region="us-east-1",
                                         credentials=hub.Credentials("a", "b")))
        s3 = session.client("s3")
        assert "hub.services.s3._model" not in sys.modules
        ops = s3.client_config.spec.model.operations
        assert not ops.built()
        s3.generate_presigned_url("get_object", Params={"Bucket": "bucket", "Key": "k"})
        print(sorted(ops.built()))
    """)
    assert out.strip() == "['GetObject']"


def test_an_operation_reaches_only_its_shapes() -> None:
    model = lazy_service_model("s3", _s3_metadata(), "hub.services.s3._model")
    op = model.operations["GetObjectTagging"]
    assert isinstance(op, OperationModel)
    assert op is model.operations["GetObjectTagging"]  # built once, then cached
    built = model.operations.built()  # type: ignore[attr-defined]
    assert list(built) == ["GetObjectTagging"]
    assert op.input is not None and set(op.input.members) >= {"Bucket", "Key", "VersionId"}
    assert op.output is not None and "TagSet" in op.output.members
    assert op.error_shapes["NoSuchKey"].error_status == 404  # errors resolve on demand
    with pytest.raises(KeyError):
        model.operations["NoSuchOperation"]


def test_model_memory_grows_with_the_operations_used() -> None:
    out = _python("""
        import gc, tracemalloc
        import hub
        from hub.services._lazy import model_data
        session = hub.Session(hub.Config(region="us-east-1",
                                         credentials=hub.Credentials("a", "b")))
        model = session.client("s3").client_config.spec.model
        model_data("hub.services.s3._model")  # the data module (strings) is not the model
        gc.collect(); tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        model.operations["PutObject"]
        gc.collect(); one = tracemalloc.get_traced_memory()[0] - base
        for name in model.operations:
            model.operations[name]
        gc.collect(); full = tracemalloc.get_traced_memory()[0] - base
        print(one, full)
    """)
    one, full = (int(v) for v in out.split())
    assert 0 < one < full / 10, (one, full)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only")
def test_a_forked_child_builds_even_if_the_parent_was_mid_build() -> None:
    # Another thread of the parent holds the service's build lock at the moment of fork();
    # the child gets a new lock (hub._forksafe) and builds the operation itself.
    model = lazy_service_model("s3", _s3_metadata(), "hub.services.s3._model")
    builder = model.operations._builder  # type: ignore[attr-defined]
    builder._lock.acquire()
    try:
        pid = os.fork()
        if pid == 0:  # the child: must not wait for a lock nobody will release
            signal.alarm(20)
            try:
                ok = model.operations["GetObject"].name == "GetObject"
            except BaseException:  # noqa: BLE001 - report any failure as the exit status
                ok = False
            os._exit(0 if ok else 1)
    finally:
        builder._lock.release()
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    assert "GetObject" not in model.operations.built()  # type: ignore[attr-defined]


def _s3_metadata() -> dict[str, object]:
    from hub.services.s3.client import _METADATA

    return _METADATA
