"""``TransferFuture`` and the bookkeeping of one transfer (its tasks, its first error, cancel).

A transfer is a set of tasks (a start task, then parts) run by its manager's workers. It ends
when its last task ends: the task that brings the count of pending tasks to zero runs the
transfer's ``finish`` (complete the multipart upload, rename the temporary file) or, after an
error or a cancel, its ``cleanup`` (abort the multipart upload, remove the temporary file).
Since that happens only once no part is in flight any more, an abort never races a part upload
that would leave an orphaned part behind.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from collections.abc import Callable
from typing import Any

from hub._forksafe import at_fork_reinit
from hub._value import dataclass, field
from hub.errors import HubError, ParamValidationError

__all__ = ["CallArgs", "TransferCancelledError", "TransferFuture", "TransferManagerClosedError",
           "TransferMeta", "TransferNotDoneError"]

_log = logging.getLogger("hub.transfer")


class TransferCancelledError(HubError, concurrent.futures.CancelledError):
    """The transfer was cancelled (``future.cancel()``, ``manager.cancel()``, Ctrl-C).

    Its multipart upload was aborted and its temporary file removed before this was raised.
    """


class TransferManagerClosedError(HubError, RuntimeError):
    """A transfer was submitted to a :class:`~hub.transfer.TransferManager` after its
    ``shutdown()`` (or the end of its ``with`` block). Also the ``RuntimeError`` that
    s3transfer's manager raises there; nothing was sent.
    """


class TransferNotDoneError(HubError, RuntimeError):
    """:meth:`TransferFuture.set_exception` was called on a transfer still running (as
    s3transfer's ``TransferNotDoneError``)."""


class CallArgs:
    """The arguments a transfer was submitted with, as attributes (s3transfer's ``CallArgs``).

    Every transfer has ``bucket``, ``key``, ``extra_args`` and ``subscribers``; uploads and
    downloads also ``fileobj``, copies ``copy_source`` and ``source_client``.
    """

    def __init__(self, **kwargs: Any) -> None:
        for name, value in kwargs.items():
            setattr(self, name, value)

    def __getattr__(self, name: str) -> Any:  # typed access to the dynamic attributes
        raise AttributeError(f"CallArgs has no {name!r}")

    def __repr__(self) -> str:
        # Names only: extra_args may carry an SSE-C key.
        return f"CallArgs({', '.join(vars(self))})"


@dataclass(slots=True)
class TransferMeta:
    """What a transfer is about (s3transfer's ``TransferMeta``, plus ``kind`` and ``extra``).

    Attributes:
        kind: ``"upload"``, ``"download"``, ``"copy"`` or ``"delete"``.
        bucket: The bucket written to (read from, for downloads).
        key: The key written to (read from, for downloads).
        size: The object's size in bytes once known (None before; see
            :meth:`provide_transfer_size`).
        extra: Free-form notes (``upload_id`` of a multipart upload, ``etag`` of a download).
        call_args: The arguments the transfer was submitted with (:class:`CallArgs`), for
            transfers submitted to a :class:`~hub.transfer.TransferManager`.
        transfer_id: The transfer's number within its manager (0, 1, ...).
        user_context: A dict for the caller's own notes (e.g. a subscriber's state).
    """

    kind: str
    bucket: str
    key: str
    size: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    call_args: CallArgs | None = field(default=None, repr=False)
    transfer_id: int | None = None
    user_context: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def etag(self) -> str | None:
        """The object's ETag: the one a download pinned its parts to, or the one provided."""
        etag = self.extra.get("etag")
        return etag if isinstance(etag, str) else None

    def provide_transfer_size(self, size: int) -> None:
        """Tell the transfer's size ahead (as s3transfer; e.g. from a subscriber's
        ``on_queued``). hub learns sizes itself without an extra request (the file's size, the
        first GET's ``Content-Length``) and replaces this value with what it finds.

        Raises:
            ParamValidationError: ``size`` is not an int >= 0.
        """
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ParamValidationError("provide_transfer_size", [
                f"size must be an int >= 0, got {size!r}"])
        self.size = size

    def provide_object_etag(self, etag: str) -> None:
        """Pin a download to this ETag (from ``on_queued``): its first GET carries
        ``If-Match``, so a different version fails with 412 instead of being downloaded.

        Raises:
            ParamValidationError: ``etag`` is not a non-empty string.
        """
        if not isinstance(etag, str) or not etag:
            raise ParamValidationError("provide_object_etag", [
                f"etag must be a non-empty string, got {type(etag).__name__}"])
        self.extra["etag"] = etag


class TransferFuture:
    """The result of one submitted transfer (as s3transfer's ``TransferFuture``).

    Attributes:
        meta: The :class:`TransferMeta`.
    """

    def __init__(self, meta: TransferMeta) -> None:
        self.meta = meta
        self._done = threading.Event()
        self._result: Any = None
        self._error: BaseException | None = None
        self._cancel: Callable[[str], None] | None = None
        self._callbacks: list[Callable[[TransferFuture], None]] = []
        self._lock = threading.Lock()
        at_fork_reinit(self, TransferFuture._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()

    def done(self) -> bool:
        """True once the transfer succeeded, failed or was cancelled and cleaned up."""
        return self._done.is_set()

    def result(self, timeout: float | None = None) -> Any:
        """Wait for the transfer and return its result (the last call's response, or None).

        A KeyboardInterrupt while waiting cancels the transfer (as s3transfer's ``result``)
        and is re-raised; the transfer then cleans up on its workers.

        Raises:
            TimeoutError: ``timeout`` seconds passed first.
            TransferCancelledError: The transfer was cancelled.
            HubError: The error that made the transfer fail (e.g. a ``ClientError``).
        """
        try:
            finished = self._done.wait(timeout)
        except KeyboardInterrupt:
            self.cancel()
            raise
        if not finished:
            raise TimeoutError(f"transfer of {self.meta.key!r} still running")
        if self._error is not None:
            raise self._error
        return self._result

    def exception(self, timeout: float | None = None) -> BaseException | None:
        """Wait for the transfer and return its error (None when it succeeded)."""
        if not self._done.wait(timeout):
            raise TimeoutError(f"transfer of {self.meta.key!r} still running")
        return self._error

    def cancel(self) -> bool:
        """Ask the transfer to stop; returns False when it had already ended.

        Parts not yet started are skipped, parts in flight finish, then the multipart upload
        is aborted (or the temporary file removed) and :meth:`result` raises
        :class:`TransferCancelledError`.
        """
        return self._stop("")

    def _stop(self, message: str) -> bool:
        # cancel(), with the message TransferCancelledError carries (manager.shutdown's).
        if self._done.is_set() or self._cancel is None:
            return False
        self._cancel(message)
        return True

    def add_done_callback(self, fn: Callable[[TransferFuture], None]) -> None:
        """Call ``fn(self)`` when the transfer ends (at once when it already has).

        As with ``concurrent.futures``, an exception ``fn`` raises is logged (logger
        ``hub.transfer``) and does not stop the other callbacks.
        """
        with self._lock:
            if not self._done.is_set():
                self._callbacks.append(fn)
                return
        self._call(fn)

    def set_exception(self, exception: BaseException) -> None:
        """Make a finished transfer's :meth:`result` raise ``exception`` (as s3transfer).

        Raises:
            TransferNotDoneError: The transfer is still running.
            ParamValidationError: ``exception`` is not an exception.
        """
        if not isinstance(exception, BaseException):
            raise ParamValidationError("set_exception", [
                f"exception must be an exception, got {type(exception).__name__}"])
        if not self._done.is_set():
            raise TransferNotDoneError(
                f"set_exception: the transfer of {self.meta.key!r} is still running")
        self._result, self._error = None, exception

    def _set(self, result: Any, error: BaseException | None) -> None:
        self._result, self._error = result, error
        with self._lock:
            self._done.set()
            callbacks, self._callbacks = self._callbacks, []
        for fn in callbacks:
            self._call(fn)

    def _call(self, fn: Callable[[TransferFuture], None]) -> None:
        try:
            fn(self)
        except Exception:  # noqa: BLE001 - concurrent.futures' rule: log, run the others
            _log.exception("a done callback of %r raised", self)

    def __repr__(self) -> str:
        state = "done" if self.done() else "running"
        return f"<hub.transfer.TransferFuture {self.meta.kind} {self.meta.key!r} {state}>"


Submit = Callable[[Callable[[], None]], None]


def _local_file_error(meta: TransferMeta, error: OSError) -> HubError:
    from hub.errors import LocalFileError

    where = f" ({error.filename})" if error.filename else ""
    wrapped = LocalFileError(
        f"{meta.kind} of {meta.key!r}: the local file or file object failed{where}: "
        f"{type(error).__name__}: {error.strerror or error}", operation=meta.kind,
        key=meta.key, cause=error)
    wrapped.__cause__ = error
    return wrapped


class Transfer:
    """One transfer's tasks: counts them, keeps the first error, finishes or cleans up once.

    Subclasses implement :meth:`start`, :meth:`finish` (returns the result) and
    :meth:`cleanup`.

    Args:
        submit: Runs a task (on a worker, or at once in the calling thread).
        future: The future to settle.
        callback: Called with byte counts as data moves; calls are serialized (never two at
            once), so it need not be thread-safe.
    """

    def __init__(self, submit: Submit, future: TransferFuture,
                 callback: Callable[[int], Any] | None) -> None:
        self._submit = submit
        self.future = future
        self._callback = callback
        self._lock = threading.Lock()
        # Its own lock: a callback may cancel (which takes _lock) without deadlocking.
        self._callback_lock = threading.Lock()
        self._pending = 0
        self.error: BaseException | None = None
        future._cancel = self.cancel
        at_fork_reinit(self, Transfer._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._callback_lock = threading.Lock()

    # -- what subclasses implement -----------------------------------------------------------

    def start(self) -> None:
        """The first task: look at the source, then :meth:`spawn` the parts."""
        raise NotImplementedError

    def finish(self) -> Any:
        """Runs once every task succeeded; its return value is the future's result."""
        return None

    def cleanup(self) -> None:
        """Runs once every task ended after a failure or a cancel."""

    # -- machinery ---------------------------------------------------------------------------

    @property
    def failed(self) -> bool:
        """True once an error or a cancel was recorded (pending parts then skip their work)."""
        return self.error is not None

    def progress(self, amount: int) -> None:
        """Report ``amount`` bytes moved to the callback (serialized)."""
        callback = self._callback
        if callback is not None and amount:
            with self._callback_lock:
                callback(amount)

    def watch(self, report: Callable[[int], Any]) -> None:
        """Also report progress to ``report`` (after the callback; before the transfer
        starts)."""
        callback = self._callback
        if callback is None:
            self._callback = report
            return

        def both(amount: int) -> None:
            callback(amount)
            report(amount)

        self._callback = both

    def fail(self, error: BaseException) -> None:
        """Record ``error`` (the first one wins); pending tasks then skip their work.

        An ``OSError`` that is not a hub error came from the local side (the transport maps
        every network error): it is recorded as a :class:`~hub.errors.LocalFileError`.
        """
        if isinstance(error, OSError) and not isinstance(error, HubError):
            error = _local_file_error(self.future.meta, error)
        with self._lock:
            if self.error is None:
                self.error = error

    def cancel(self, message: str = "") -> None:
        """Record a cancel (pending tasks skip; cleanup runs once the running ones end)."""
        self.fail(TransferCancelledError(
            message or f"transfer of {self.future.meta.key!r} was cancelled"))

    def spawn(self, task: Callable[..., None], *args: Any) -> None:
        """Run ``task(*args)`` as one of this transfer's tasks."""
        with self._lock:
            self._pending += 1
        try:
            self._submit(lambda: self._run(task, args))
        except BaseException as exc:  # noqa: BLE001 - the pool refused (shut down): settle
            self.fail(exc)
            self._task_done()

    def run(self) -> None:
        """Run the start task in the calling thread (parts then go to the workers)."""
        with self._lock:
            self._pending += 1
        self._run(lambda: self.start(), ())

    def _run(self, task: Callable[..., None], args: tuple[Any, ...]) -> None:
        try:
            if self.error is None:
                task(*args)
        except BaseException as exc:  # noqa: BLE001 - recorded, raised by future.result()
            self.fail(exc)
        finally:
            self._task_done()

    def _task_done(self) -> None:
        with self._lock:
            self._pending -= 1
            last = self._pending == 0
        if last:
            self._settle()

    def _settle(self) -> None:
        if self.error is None:
            try:
                result = self.finish()
            except BaseException as exc:  # noqa: BLE001 - recorded, raised by future.result()
                self.fail(exc)
            else:  # done: a cancel that arrives now is too late
                self.future._set(result, None)
                return
        try:
            self.cleanup()
        except Exception:  # noqa: BLE001 - the first error is the one to report
            pass
        self.future._set(None, self.error)
