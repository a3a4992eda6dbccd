"""Cold start: ``import hub`` plus the first S3 client load nothing the first client does not
need (issue 10's target: within urllib3's import + 15 ms).

The guard is what gets imported, not a wall-clock bound: a fresh interpreter imports urllib3,
notes ``sys.modules``, then imports hub and creates the first client. Everything new must be a
hub module that creating that client needs; the standard-library modules hub keeps for later
(and the dataclasses/inspect machinery) must not appear until something uses them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import hub

ROOT = Path(__file__).resolve().parent.parent

# What creating a client must not load: each was measured on the cold path before being
# deferred (import cost on a slow VM in brackets).
DEFERRED_STDLIB = (
    "dataclasses", "inspect", "ast", "dis",  # @dataclass at import (~100 ms with 25 classes)
    "platform",  # User-Agent (os.uname gives the same): ~4 ms
    "subprocess", "shlex",  # credential_process: ~6 ms
    "configparser",  # shared files, only when one has content: ~3 ms
    "pickle",  # worker_session / rehydration: ~3 ms
    "urllib.request",  # NO_PROXY's stdlib fallback: ~6 ms
    "uuid",  # idempotency tokens: ~3 ms
    "decimal",  # float members accept Decimal: ~4 ms
    "xml.etree.ElementTree", "pyexpat",  # the first XML body: ~5 ms
)
DEFERRED_HUB = (
    "hub._errors_rare",  # the hub.errors classes no cold-path module raises
    "hub._version",  # a compatibility alias: hub defines __version__ itself
    "hub._types",  # an alias: hub._value defines its types
    "hub._operation",
    "hub._rehydrate",
    "hub._sigv4_canonical",
    "hub._streaming",
    "hub.endpoints",  # with an endpoint URL; S3's bucket URLs need it at the first request
    "hub.protocols._common",  # the protocol object loads with the first request
    "hub.protocols._interface",  # WireProtocol: a typing.Protocol only type checkers need
    "hub.protocols._rest",
    "hub.protocols.restxml",
    "hub.protocols._xml",
    "hub.protocols.validate",
    "hub.signing",
    "hub.credentials._chain",
    "hub.credentials._process",
    "hub.credentials._providers",
    "hub.credentials._time",
    "hub.protocols.jsonrpc",
    "hub.protocols.query",
    "hub.protocols.restjson",
    "hub.services.s3._model",
    "hub.transfer",
    "hub.checksums",  # flexible checksums: the first request that runs a checksum handler
    "hub._checksum_handlers",
    "hub._checksum_offload",
    "hub.credentials._profile",  # shared files: only when one has content
    "hub.credentials._files",
    "hub.retry",  # the retry policy: the first request (ClientConfig.retry_policy)
    "hub._retry_classify",
    "hub._retry_quota",
    "hub._retry_ratelimit",
)
# Non-hub modules that creating the first client may add to what urllib3 imports.
ALLOWED_OTHERS = {
    "encodings.utf_8_sig",  # the shared files are read as utf-8-sig
    "gc",  # built in (no file): the collector pauses while hub's modules load
}


def _cold_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k.lower() not in ("http_proxy", "https_proxy",
                                                            "no_proxy")}
    env.update({
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    })
    return env


def _run(code: str, env: dict[str, str] | None = None) -> dict[str, object]:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT,
                            env=env or _cold_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return out


_FIRST_CLIENT = """
    import json, sys
    import urllib3
    before = set(sys.modules)
    import hub
    session = hub.Session(hub.Config(region="us-east-1", endpoint_url="http://127.0.0.1:9",
                                     credentials=hub.Credentials("testing", "testing")))
    s3 = session.client("s3")
    transport = s3.client_config.transport
    print(json.dumps({"new": sorted(set(sys.modules) - before),
                      "tls_loaded": getattr(transport, "_ssl_context", None) is not None}))
"""


def test_first_client_imports_only_what_it_needs() -> None:
    out = _run(_FIRST_CLIENT)
    new = set(out["new"])  # type: ignore[arg-type]
    assert not new & set(DEFERRED_STDLIB), sorted(new & set(DEFERRED_STDLIB))
    assert not new & set(DEFERRED_HUB), sorted(new & set(DEFERRED_HUB))
    others = {m for m in new if m != "hub" and not m.startswith("hub.")} - ALLOWED_OTHERS
    assert not others, f"creating the first client imports more than urllib3 does: {others}"
    assert out["tls_loaded"] is False  # an http endpoint never loads a CA store


def test_a_named_ca_bundle_is_not_loaded_by_client_creation(tmp_path: Path) -> None:
    env = _cold_env()
    bundle = tmp_path / "bundle.pem"
    bundle.write_text("loaded at the first https request, not before")
    env["REQUESTS_CA_BUNDLE"] = str(bundle)  # botocore's last resort, as a CI machine sets it
    out = _run(_FIRST_CLIENT, env)
    assert out["tls_loaded"] is False


def test_deferred_modules_load_when_first_used() -> None:
    # The first XML body parsed, a Decimal checked, a worker session: each brings its module.
    out = _run("""
        import decimal, json, sys
        import hub
        from hub.testing import MemoryResponse, MemoryTransport

        session = hub.Session(hub.Config(region="us-east-1", endpoint_url="http://127.0.0.1:9",
                                         credentials=hub.Credentials("testing", "testing")))
        body = (b'<ListAllMyBucketsResult><Buckets><Bucket><Name>b</Name></Bucket></Buckets>'
                b'</ListAllMyBucketsResult>')
        MemoryTransport(lambda request: MemoryResponse(200, {}, body)).install(session)
        s3 = session.client("s3")
        assert "xml.etree.ElementTree" not in sys.modules
        assert "hub.protocols.restxml" not in sys.modules
        assert s3.client_config.protocol.name == "rest-xml"
        assert "hub.retry" not in sys.modules and "hub.checksums" not in sys.modules
        names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
        from hub.retry import StandardRetryPolicy
        policy = s3.client_config.retry_policy
        print(json.dumps({"names": names, "xml": "xml.etree.ElementTree" in sys.modules,
                          "retry": isinstance(policy, StandardRetryPolicy)
                          and session.client("s3").client_config.retry_policy is policy,
                          "checksums": "hub._checksum_handlers" in sys.modules,
                          "restxml": "hub.protocols.restxml" in sys.modules,
                          "worker_session": callable(hub.worker_session),
                          "pickle": "pickle" in sys.modules}))
    """)
    assert out == {"names": ["b"], "xml": True, "retry": True, "checksums": True,
                   "restxml": True, "worker_session": True, "pickle": True}


def test_value_classes_are_still_dataclasses_for_users() -> None:
    import dataclasses

    config = hub.Config(region="us-east-1", read_timeout=5.0)
    assert dataclasses.is_dataclass(config)
    relaxed = dataclasses.replace(config, read_timeout=120.0)
    assert relaxed == hub.Config(region="us-east-1", read_timeout=120.0)
    assert [f.name for f in dataclasses.fields(hub.Config)][:2] == ["region", "endpoint_url"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.region = "eu-west-1"  # type: ignore[misc]
    creds = hub.Credentials("AKID", "secret", "token")
    assert dataclasses.replace(creds, token=None) == hub.Credentials("AKID", "secret")
    assert hash(config) == hash(hub.Config(region="us-east-1", read_timeout=5.0))


def test_client_creation_builds_the_one_slot_client_and_honours_a_custom_init() -> None:
    session = hub.Session(hub.Config(region="us-east-1", endpoint_url="http://127.0.0.1:9",
                                     credentials=hub.Credentials("a", "b")))
    s3 = session.client("s3")
    config = session.client_config("s3")
    assert type(s3) is config.client_class and s3.client_config is config
    assert session.client("s3") is not s3

    seen: list[object] = []

    class Custom(config.client_class):  # type: ignore[name-defined,misc]
        __slots__ = ()

        def __init__(self, client_config: hub.ClientConfig) -> None:
            seen.append(client_config)
            super().__init__(client_config)

    object.__setattr__(config, "client_class", Custom)  # as a ServiceSpec naming such a class
    client = session.client("s3")
    assert type(client) is Custom and seen == [config] and client.client_config is config


def test_value_class_init_is_the_same_before_and_after_it_is_compiled() -> None:
    # hub._value starts every class with a generic __init__ (nothing compiled at import) and
    # compiles dataclasses' kind of __init__ once a class has made a few instances.
    import dataclasses

    from hub import _value

    def build(decorate: Any, field: Any) -> Any:
        @decorate(frozen=True, slots=True)
        class Point:
            x: int
            y: int = 0
            tags: list[str] = field(default_factory=list)

            def __post_init__(self) -> None:
                if self.x < 0:
                    raise ValueError("x must not be negative")

        return Point

    ours, theirs = build(_value.dataclass, _value.field), build(dataclasses.dataclass,
                                                               dataclasses.field)
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
        ((1,), {}), ((1, 2), {}), ((), {"x": 3, "tags": ["a"]}), ((1,), {"y": 5}),
    ]
    # A wrong call is an ArgumentError naming the argument, on both paths (a doubled argument
    # is Python's own TypeError once compiled, which ArgumentError also is).
    wrong: list[tuple[tuple[Any, ...], dict[str, Any], str | None]] = [
        ((), {}, "x"), ((), {"y": 1}, "x"), ((1, 2, [], 4), {}, None), ((1,), {"z": 1}, "z"),
    ]
    for _ in range(3 * _value._COMPILE_AFTER):  # type: ignore[attr-defined]
        for args, kwargs in calls:
            assert repr(ours(*args, **kwargs)).replace("build.<locals>.", "") == \
                repr(theirs(*args, **kwargs)).replace("build.<locals>.", "")
        for args, kwargs, name in wrong:
            with pytest.raises(hub.errors.ArgumentError) as caught:
                ours(*args, **kwargs)
            assert caught.value.field == name and caught.value.owner == "Point"
        compiled = "args" not in ours.__init__.__code__.co_varnames
        with pytest.raises(TypeError) as doubled:
            ours(1, x=2)
        assert compiled or isinstance(doubled.value, hub.errors.ArgumentError)
        with pytest.raises(ValueError, match="negative"):
            ours(-1)
    assert ours(1).tags is not ours(1).tags
    assert "args" not in ours.__init__.__code__.co_varnames  # compiled by now


@pytest.mark.parametrize("files", ["empty", "missing"])
def test_empty_or_missing_shared_files_are_not_parsed(tmp_path: Path, files: str) -> None:
    env = _cold_env()
    for name, var in (("config", "AWS_CONFIG_FILE"),
                      ("credentials", "AWS_SHARED_CREDENTIALS_FILE")):
        path = tmp_path / name
        if files == "empty":
            path.write_text("")
        env[var] = str(path)
    env["AWS_PROFILE"] = "named"  # a profile no file defines: not an error, as before
    out = _run("""
        import json, sys
        import hub
        session = hub.Session(hub.Config(region="eu-west-1",
                                         credentials=hub.Credentials("testing", "testing")))
        endpoint = session.client("s3").client_config.info.endpoint
        print(json.dumps({"endpoint": endpoint,
                          "parsed": "hub.credentials._profile" in sys.modules}))
    """, env)
    assert out == {"endpoint": "https://s3.eu-west-1.amazonaws.com", "parsed": False}


def test_a_shared_file_with_content_is_still_read(tmp_path: Path) -> None:
    env = _cold_env()
    config = tmp_path / "config"
    config.write_text("[profile named]\nregion = eu-west-2\n")
    env["AWS_CONFIG_FILE"] = str(config)
    env["AWS_PROFILE"] = "named"
    out = _run("""
        import json, sys
        import hub
        session = hub.Session(hub.Config(credentials=hub.Credentials("testing", "testing")))
        print(json.dumps({"region": session.client("s3").client_config.info.signing_region}))
    """, env)
    assert out == {"region": "eu-west-2"}


def test_the_collector_pauses_while_modules_load_and_is_left_as_found() -> None:
    # hub._deferred.pause_gc: on again after import hub and after the first client (nothing
    # left frozen), off if the application had turned it off, and an application's own frozen
    # objects stay frozen (gc.get_objects() lists every tracked object but the frozen ones).
    out = _run("""
        import gc, json
        kept = [[]]
        gc.freeze()
        import hub
        after_import = [gc.isenabled(), not any(o is kept for o in gc.get_objects())]
        gc.unfreeze()
        session = hub.Session(hub.Config(region="us-east-1", endpoint_url="http://127.0.0.1:9",
                                         credentials=hub.Credentials("testing", "testing")))
        session.client("s3")
        after_client = [gc.isenabled(), gc.get_freeze_count()]
        gc.disable()
        session.client("sqs")  # a first client of another service while the app has it off
        print(json.dumps({"import": after_import, "client": after_client,
                          "kept_off": not gc.isenabled()}))
    """)
    assert out == {"import": [True, True], "client": [True, 0], "kept_off": True}


def test_garbage_cycles_made_while_the_collector_pauses_are_still_collected() -> None:
    import gc
    import weakref

    from hub._deferred import pause_gc, resume_gc

    class Node:
        pass

    assert gc.isenabled()
    assert pause_gc()
    try:
        assert not gc.isenabled() and not pause_gc()  # nested: the outer one resumes
        node = Node()
        node.self = node  # type: ignore[attr-defined]  # a cycle: only the collector frees it
        ref = weakref.ref(node)
        del node
    finally:
        resume_gc()
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.collect()
    assert ref() is None


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() is POSIX-only")
def test_a_child_forked_while_loading_gets_its_collector_back() -> None:
    # Another thread is inside pause_gc/resume_gc (its first client of a service) when the
    # process forks: that thread does not exist in the child, so the child's collector must
    # not stay off.
    import gc

    from hub._deferred import pause_gc, resume_gc

    assert pause_gc()
    try:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: report, then leave without running the parent's cleanup
            os.write(write, b"1" if gc.isenabled() else b"0")
            os._exit(0)
        os.close(write)
        with os.fdopen(read, "rb") as pipe:
            answer = pipe.read()
        os.waitpid(pid, 0)
        assert not gc.isenabled()  # the parent is still paused
    finally:
        resume_gc()
    assert answer == b"1" and gc.isenabled()


def test_the_default_chain_is_built_by_the_first_credentials_load() -> None:
    # A session without credentials makes the default chain; its providers' modules (and
    # subprocess, for credential_process) load when credentials are first needed.
    env = _cold_env()
    env.update({"AWS_ACCESS_KEY_ID": "AKIDCHAIN", "AWS_SECRET_ACCESS_KEY": "secret"})
    out = _run("""
        import json, sys
        import hub
        session = hub.Session(hub.Config(region="us-east-1", endpoint_url="http://127.0.0.1:9"))
        session.client("s3")
        before = sorted(m for m in ("subprocess", "shlex", "hub.credentials._chain",
                                    "hub.credentials._providers", "hub.credentials._imds")
                        if m in sys.modules)
        provider = session.snapshot.credentials.provider
        key = session.snapshot.credentials.get().access_key
        names = [p.name for p in provider.providers]
        print(json.dumps({"before": before, "key": key, "first": names[0],
                          "chain": "hub.credentials._chain" in sys.modules,
                          "subprocess": "subprocess" in sys.modules}))
    """, env)
    assert out == {"before": [], "key": "AKIDCHAIN", "first": "env", "chain": True,
                   "subprocess": False}
