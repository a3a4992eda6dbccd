"""The exceptions of :mod:`hub.errors` that neither ``import hub`` nor the first client uses.

They are documented, imported and pickled as ``hub.errors.<Name>`` (their ``__module__``);
:mod:`hub.errors` loads this module on the first read of one of them (its ``__getattr__``),
which keeps ~10 class creations (~0.3 ms) off the cold start. Import them from
:mod:`hub.errors`, never from here.
"""

from __future__ import annotations

import errno
import os
from typing import Any

from hub.errors import ClientError, CredentialProviderError, HubError, ParamValidationError

__all__ = [
    "EventStreamChecksumError",
    "EventStreamDecodeError",
    "EventStreamError",
    "FlexibleChecksumError",
    "LocalFileError",
    "LocalFileNotFoundError",
    "LocalIsADirectoryError",
    "MessageChecksumError",
    "MissingDependencyError",
    "RequestBodyError",
    "ResponseParseError",
    "SSOTokenExpiredError",
    "WaiterError",
    "XMLForbidden",

]


class SSOTokenExpiredError(CredentialProviderError):
    """The SSO access token is missing, expired or rejected and could not be refreshed.

    The message says which ``aws sso login`` command to run.
    """

    __module__ = "hub.errors"


class ResponseParseError(HubError):
    """A response body could not be parsed as the operation's protocol requires.

    Attributes:
        operation: The operation whose response was being parsed, when known.
        status_code: The HTTP status of the response, when known.
    """

    __module__ = "hub.errors"

    def __init__(
        self, message: str, *, operation: str | None = None, status_code: int | None = None
    ) -> None:
        super().__init__(message)
        self.operation = operation
        self.status_code = status_code


class FlexibleChecksumError(HubError):
    """A body's checksum did not match, or the requested algorithm cannot be used.

    Raised when a response body does not match the ``x-amz-checksum-*`` value the service sent
    (the data was damaged in transit; it is not retried, the same bytes may come again), and
    when a request names an algorithm hub does not know.

    Attributes:
        algorithm: The algorithm (``"CRC32"``), upper case.
        expected: The base64 value the service sent (None for an unknown algorithm).
        computed: The base64 value computed over the bytes received (None when not computed).
        operation: The operation, when known.
    """

    __module__ = "hub.errors"

    def __init__(self, message: str, *, algorithm: str, expected: str | None = None,
                 computed: str | None = None, operation: str | None = None) -> None:
        super().__init__(message)
        self.algorithm = algorithm
        self.expected = expected
        self.computed = computed
        self.operation = operation


class MessageChecksumError(HubError):
    """A message's MD5 digest from the service does not match its content (SQS).

    hub checks ``MD5OfMessageBody``/``MD5OfBody`` and ``MD5OfMessageAttributes`` of sent and
    received messages; a mismatch means the message was damaged in transit.

    Attributes:
        field: The digest that did not match (``"MD5OfBody"``).
        expected: The digest the service sent.
        computed: The digest of the content.
        operation: The operation.
        message_id: The message's ``MessageId`` (or batch entry ``Id``), when known.
    """

    __module__ = "hub.errors"

    def __init__(self, message: str, *, field: str, expected: str, computed: str,
                 operation: str, message_id: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.expected = expected
        self.computed = computed
        self.operation = operation
        self.message_id = message_id


class RequestBodyError(HubError, OSError):
    """Reading the request body the caller passed (``Body``: a file or another stream) failed.

    Raised when hub reads the body before sending it (to checksum or sign it, or to rewind it
    for a retry) and the body's own ``read``/``seek`` fails; the body's error is the
    ``__cause__``. Also an :class:`OSError`, as that error was (what boto3 lets through). Not
    retried: the body is the caller's, not the network's.

    Attributes:
        field: ``"Body"``, the parameter whose value failed.
        operation: The operation, when known.
    """

    __module__ = "hub.errors"

    def __init__(self, message: str, *, operation: str | None = None) -> None:
        super().__init__(message)
        self.field = "Body"
        self.operation = operation


class LocalFileError(HubError, OSError):
    """A transfer's local file or file object failed while the transfer read or wrote it.

    A disk that filled up, a permission lost mid-way, a file object whose ``read``/``write``
    raised. Also an :class:`OSError` with that failure's ``errno``, ``strerror`` and
    ``filename`` (what boto3 lets through); the failure is the ``__cause__``. Not retried.
    A temporary download file is removed and a multipart upload aborted first, as for any
    failed transfer.

    Attributes:
        operation: The transfer: ``"upload"``, ``"download"`` or ``"copy"``.
        key: The object's key.
    """

    __module__ = "hub.errors"

    def __init__(self, message: str, *, operation: str, key: str,
                 cause: OSError | None = None) -> None:
        super().__init__(message)
        self.operation = operation
        self.key = key
        if cause is not None:
            self.errno, self.strerror, self.filename = cause.errno, cause.strerror, cause.filename

    def __str__(self) -> str:
        return BaseException.__str__(self)  # hub's message, not OSError's "[Errno 28] ..."

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore_os_error, (type(self), self.args, dict(self.__dict__), self.errno,
                                    self.strerror, self.filename))


class _LocalPathError(ParamValidationError, OSError):
    # A transfer's local path refused before anything is sent; also the OSError boto3 would
    # have raised for it (later), with its errno and filename, so ``except FileNotFoundError``
    # written for boto3 still catches it.
    _errno = 0

    def __init__(self, operation: str, problems: list[str], *, filename: str = "") -> None:
        super().__init__(operation, problems)
        self.errno = self._errno
        self.strerror = os.strerror(self._errno)
        self.filename = filename

    def __str__(self) -> str:
        return BaseException.__str__(self)  # hub's message, not OSError's "[Errno 2] ..."

    def __reduce__(self) -> tuple[Any, ...]:
        # HubError's rebuild calls cls.__new__, which is ValueError's here (first in the MRO)
        # and refuses an OSError; errno and friends live outside __dict__.
        return (_restore_os_error, (type(self), self.args, dict(self.__dict__), self.errno,
                                    self.strerror, self.filename))


def _restore_os_error(cls: type[OSError], args: tuple[Any, ...], state: dict[str, Any],
                      code: int | None, strerror: str | None, filename: Any) -> OSError:
    # Rebuild a hub error that is also an OSError: OSError's own __new__ (the MRO may put
    # ValueError's first), then its C-level fields, which pickling's __dict__ does not hold.
    error = OSError.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    error.errno, error.strerror, error.filename = code, strerror, filename
    return error


class LocalFileNotFoundError(_LocalPathError, FileNotFoundError):
    """A transfer's local file (``Filename``) or the folder a download goes to does not exist.

    Raised before anything is sent. Also a :class:`FileNotFoundError` (``errno`` ``ENOENT``,
    ``filename``), as boto3 raises for the same call.
    """

    __module__ = "hub.errors"
    _errno = errno.ENOENT


class LocalIsADirectoryError(_LocalPathError, IsADirectoryError):
    """A transfer's ``Filename`` is a folder (an upload's source, or a download's target).

    Raised before anything is sent. Also an :class:`IsADirectoryError` (``errno``
    ``EISDIR``, ``filename``), as boto3 raises for the same call (for a download, only after
    fetching the whole object).
    """

    __module__ = "hub.errors"
    _errno = errno.EISDIR


class XMLForbidden(ResponseParseError, ValueError):
    """An XML response declared a DOCTYPE (and so possibly entities): refused outright.

    Also a ``ValueError`` so code that catches malformed-body errors broadly still sees it.
    """

    __module__ = "hub.errors"


class EventStreamDecodeError(ResponseParseError):
    """An event stream's binary framing is invalid.

    A length beyond the decoder's limits (refused before anything is buffered for it), a
    header of unknown type, a header that runs past its section, a name given twice, or text
    that is not UTF-8. The stream is closed (its connection is not reused).

    Attributes:
        field: What was wrong: ``"total_length"``, ``"headers_length"``, ``"header_name"``,
            ``"header_type"``, ``"header_value"``, ``"prelude_crc"`` or ``"message_crc"``.
    """

    __module__ = "hub.errors"

    def __init__(self, message: str, *, field: str, operation: str | None = None) -> None:
        super().__init__(message, operation=operation)
        self.field = field


class EventStreamChecksumError(EventStreamDecodeError):
    """An event-stream message's prelude or message CRC32 does not match its bytes.

    Attributes:
        field: ``"prelude_crc"`` or ``"message_crc"``.
        expected: The CRC32 the message carries.
        computed: The CRC32 of the bytes received.
    """

    __module__ = "hub.errors"

    def __init__(self, field: str, expected: int, computed: int) -> None:
        super().__init__(
            f"event-stream {field.replace('_', ' ')} mismatch: the message says "
            f"{expected:#010x}, its bytes give {computed:#010x}", field=field)
        self.expected = expected
        self.computed = computed


class EventStreamError(ClientError):
    """An error or exception event arrived inside an event stream (boto3's ``EventStreamError``).

    Raised while iterating an :class:`~hub.services.EventStream`. For a ``:message-type``
    ``error`` frame the code and message are its ``:error-code``/``:error-message`` headers;
    for a modeled ``exception`` frame the code is its ``:exception-type`` (the event stream
    member, e.g. ``ThrottlingException``) and the message its payload's ``Message``. As in
    boto3, ``response`` holds only ``Error``, and the service's modeled classes
    (``client.exceptions.X``) do not catch it: catch this class or ``ClientError``.
    """

    __module__ = "hub.errors"


class WaiterError(HubError):
    """A waiter stopped without reaching its success state.

    Attributes:
        name: The waiter's name (``"BucketExists"``).
        reason: Why: a failure state was matched, an unexpected error came back, or
            ``MaxAttempts`` ran out.
        last_response: The last response (or the error's boto3-shaped ``response``) seen.
    """

    __module__ = "hub.errors"

    def __init__(self, name: str, reason: str, last_response: dict[str, Any] | None) -> None:
        super().__init__(f"Waiter {name} failed: {reason}")
        self.name = name
        self.reason = reason
        self.last_response = last_response


class MissingDependencyError(HubError, ImportError):
    """A feature needs an optional dependency that is not installed.

    Attributes:
        package: The missing package (``"jmespath"``).
        extra: The extra that installs it (``pip install "hub[jmespath]"``).
    """

    __module__ = "hub.errors"

    def __init__(self, feature: str, package: str, extra: str) -> None:
        super().__init__(f"{feature} needs the {package!r} package: pip install 'hub[{extra}]'")
        self.package = package
        self.extra = extra
