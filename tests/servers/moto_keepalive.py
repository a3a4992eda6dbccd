"""moto's AWS backends behind waitress, which keeps connections alive, counting them.

``tests/servers/moto_server.py`` runs moto in werkzeug's development server, which closes
every connection after one response ("Connection: close"): fine for behaviour tests, useless
for tests and benchmarks about connection reuse. This serves the same moto application from
waitress (HTTP/1.1 keep-alive) on 127.0.0.1 and counts the TCP connections it accepts.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any

__all__ = ["KeepAliveMoto"]


class KeepAliveMoto:
    """moto's WSGI app served by waitress on 127.0.0.1 (a free port), counting connections.

    Attributes:
        url: Base URL, e.g. ``http://127.0.0.1:40123``.
        accepted: TCP connections accepted so far (server side).
    """

    def __init__(self, threads: int = 8) -> None:
        import waitress.channel
        import waitress.server
        from moto.server import DomainDispatcherApplication, create_backend_app

        counter = self
        self.accepted = 0
        self._lock = threading.Lock()

        class _CountingChannel(waitress.channel.HTTPChannel):  # type: ignore[misc]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                with counter._lock:
                    counter.accepted += 1
                super().__init__(*args, **kwargs)

        # waitress warns on its queue depth, werkzeug (inside moto) logs requests: not here.
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        app = DomainDispatcherApplication(create_backend_app)
        self._server: Any = waitress.server.create_server(
            app, host="127.0.0.1", port=0, threads=threads, connection_limit=1000,
            channel_timeout=120)
        self._server.channel_class = _CountingChannel
        self.url = f"http://127.0.0.1:{self._server.effective_port}"
        self._thread = threading.Thread(target=self._server.run, name="moto-waitress",
                                        daemon=True)

    def start(self) -> KeepAliveMoto:
        """Starts serving; returns self."""
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Closes every connection and the listening socket, then the worker threads."""
        server = self._server

        def close_all() -> None:
            # Inside the loop thread (closing its sockets from another thread races, EBADF).
            for channel in list(server._map.values()):
                with contextlib.suppress(OSError):
                    channel.close()

        if self._thread.is_alive():
            server.trigger.pull_trigger(close_all)
            self._thread.join(timeout)
        else:
            close_all()
        server.task_dispatcher.shutdown(timeout=timeout)

    def __enter__(self) -> KeepAliveMoto:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
