"""A threaded WSGI app (waitress, 16 threads) sharing ONE hub Session.

The session is built once at start-up. Every request handler creates the clients it needs with
``session.client(...)``: that costs well under a microsecond and takes no lock, and the clients
share the session's connection pools, credentials cache and retry quota. There is no per-thread
session, no client cache and no lock in this file.

Routes:
    ``PUT /objects/<key>``  stores the body in S3 and indexes it in DynamoDB (size, etag)
    ``GET /objects/<key>``  returns the body from S3 (404 when missing)
    ``GET /items/<key>``    returns the DynamoDB index entry as JSON (404 when missing)
    ``GET /healthz``        ``ok``

Run it with hub and moto installed (``pip install -e '.[test]'``, or the venv that
``python3 tools/dev.py test`` creates: ``.venv-3.11/bin/python``). It starts an embedded
moto server unless ``--endpoint-url``/``AWS_ENDPOINT_URL`` is set::

    python3 examples/wsgi_app.py --port 8080 --threads 16
    curl -X PUT --data-binary @README.md localhost:8080/objects/readme
    curl localhost:8080/items/readme
"""

from __future__ import annotations

import argparse
import contextlib
import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

import _embedded

import hub
from hub.errors import ClientError

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]


def ensure_resources(session: hub.Session, *, bucket: str, table: str) -> None:
    """Creates the bucket and the table when they do not exist yet."""
    s3 = session.client("s3")
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError:
        s3.create_bucket(Bucket=bucket)
    dynamodb = session.client("dynamodb")
    if table not in dynamodb.list_tables()["TableNames"]:
        dynamodb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )


def make_app(session: hub.Session, *, bucket: str, table: str) -> WSGIApp:
    """Builds the WSGI application around one shared session.

    Args:
        session: Shared by every worker thread.
        bucket: S3 bucket for the objects.
        table: DynamoDB table (hash key ``key``) for the index.
    """

    def reply(start: StartResponse, status: str, body: bytes,
              content_type: str = "text/plain") -> list[bytes]:
        start(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
        return [body]

    def put_object(key: str, environ: Environ) -> tuple[str, bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        s3 = session.client("s3")  # per request: cheap, lock-free, shares the pools
        etag = s3.put_object(Bucket=bucket, Key=key, Body=body)["ETag"]
        session.client("dynamodb").put_item(
            TableName=table,
            Item={"key": {"S": key}, "size": {"N": str(len(body))}, "etag": {"S": etag}},
        )
        return "201 Created", etag.encode()

    def get_object(key: str) -> tuple[str, bytes]:
        try:
            return "200 OK", session.client("s3").get_object(Bucket=bucket, Key=key)[
                "Body"].read()
        except ClientError as exc:
            if exc.code in ("NoSuchKey", "404"):
                return "404 Not Found", b"no such object\n"
            raise

    def get_item(key: str) -> tuple[str, bytes]:
        found = session.client("dynamodb").get_item(TableName=table, Key={"key": {"S": key}})
        if "Item" not in found:
            return "404 Not Found", b"{}"
        item = found["Item"]
        doc = {"key": key, "size": int(item["size"]["N"]), "etag": item["etag"]["S"]}
        return "200 OK", json.dumps(doc).encode()

    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/")
        try:
            if path == "/healthz":
                return reply(start_response, "200 OK", b"ok")
            if path.startswith("/objects/") and len(path) > 9:
                key = path[9:]
                if method == "PUT":
                    return reply(start_response, *put_object(key, environ))
                if method == "GET":
                    return reply(start_response, *get_object(key),
                                 content_type="application/octet-stream")
            if path.startswith("/items/") and method == "GET" and len(path) > 7:
                return reply(start_response, *get_item(path[7:]),
                             content_type="application/json")
            return reply(start_response, "404 Not Found", b"unknown route\n")
        except hub.errors.HubError as exc:  # the backend failed: say so, keep serving
            return reply(start_response, "502 Bad Gateway", f"{exc}\n".encode())

    return app


class BackgroundServer:
    """A waitress server on a background thread (for tests and embedding).

    Args:
        app: The WSGI application.
        host: Interface to bind.
        port: Port; 0 picks a free one.
        threads: waitress worker threads (requests served at once).

    Attributes:
        url: ``http://host:port`` once started.
    """

    def __init__(self, app: WSGIApp, *, host: str = "127.0.0.1", port: int = 0,
                 threads: int = 16) -> None:
        import waitress.server

        self._server: Any = waitress.server.create_server(
            app, host=host, port=port, threads=threads, connection_limit=256)
        self.url = f"http://{host}:{self._server.effective_port}"
        self._thread = threading.Thread(target=self._server.run, name="waitress", daemon=True)

    def start(self) -> BackgroundServer:
        """Starts serving; returns self."""
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stops accepting, closes open connections and worker threads (bounded)."""
        server = self._server

        def close_all() -> None:
            # Runs inside the server's loop thread (via its wake-up trigger): closing sockets
            # from another thread while the loop sits in select() on them races (EBADF).
            # With every socket (the trigger's too) out of the map, the loop returns.
            for channel in list(server._map.values()):
                with contextlib.suppress(OSError):
                    channel.close()

        woke = False
        if self._thread.is_alive():
            try:
                server.trigger.pull_trigger(close_all)
                woke = True
            except OSError:  # the trigger's pipe is already gone: close from here instead
                pass
        if woke:
            self._thread.join(timeout)
        else:
            close_all()
            if self._thread.ident is not None:  # started: its loop sees the empty map
                self._thread.join(timeout)
        server.task_dispatcher.shutdown(timeout=timeout)

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    """Serves the app in the foreground until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint-url", help="AWS-compatible endpoint (default: embedded moto)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--threads", type=int, default=16, help="waitress worker threads")
    parser.add_argument("--bucket", default="example-objects")
    parser.add_argument("--table", default="example-index")
    args = parser.parse_args(argv)
    import waitress

    with _embedded.endpoint(args.endpoint_url) as (url, config):
        session = hub.Session(config)  # ONE session for the whole process
        ensure_resources(session, bucket=args.bucket, table=args.table)
        print(f"backend {url}; serving on http://{args.host}:{args.port}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            waitress.serve(make_app(session, bucket=args.bucket, table=args.table),
                           host=args.host, port=args.port, threads=args.threads)
        session.close()


if __name__ == "__main__":
    main()
