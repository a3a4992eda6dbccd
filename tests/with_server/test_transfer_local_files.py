"""A transfer's local file or file object that cannot work is refused before anything is sent,
with a typed error that is also the OSError boto3 raises for it (later, for a download)."""

from __future__ import annotations

import errno
import io
import pickle
from typing import Any

import pytest

from hub import Config, Credentials, Session
from hub.errors import (
    LocalFileError,
    LocalFileNotFoundError,
    LocalIsADirectoryError,
    ParamValidationError,
)
from hub.transfer import TransferManager
from tests.servers.local import LocalServer
from tests.servers.responses import ok


def _s3(url: str) -> Any:
    return Session(Config(region="us-east-1", endpoint_url=url,
                          credentials=Credentials("testing", "testing"))).client("s3")


def test_a_missing_upload_source_is_a_file_not_found_error(local_server: LocalServer,
                                                           tmp_path: Any) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(FileNotFoundError) as info:  # what boto3 code catches
        _s3(local_server.url).upload_file(str(missing), "bkt", "k")
    error = info.value
    assert isinstance(error, LocalFileNotFoundError) and isinstance(error, ParamValidationError)
    assert error.errno == errno.ENOENT and error.filename == str(missing)
    assert error.operation == "upload_file"
    assert error.problems == [f"Filename does not exist: {str(missing)!r}"]
    assert str(error).startswith("invalid parameters for upload_file:")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is LocalFileNotFoundError and str(copy) == str(error)
    assert copy.errno == errno.ENOENT and copy.filename == str(missing)
    assert local_server.requests == []


def test_folders_are_refused_both_ways(local_server: LocalServer, tmp_path: Any) -> None:
    s3 = _s3(local_server.url)
    with pytest.raises(IsADirectoryError) as up:
        s3.upload_file(str(tmp_path), "bkt", "k")
    assert isinstance(up.value, LocalIsADirectoryError) and up.value.errno == errno.EISDIR
    # boto3 would fetch the whole object first, then fail renaming it onto the folder.
    with pytest.raises(LocalIsADirectoryError):
        s3.download_file("bkt", "k", str(tmp_path))
    with pytest.raises(LocalFileNotFoundError) as down:
        s3.download_file("bkt", "k", str(tmp_path / "no" / "such" / "file"))
    assert down.value.problems == [
        f"Filename's folder does not exist: {str(tmp_path / 'no' / 'such' / 'file')!r}"]
    assert local_server.requests == []
    assert list(tmp_path.iterdir()) == []  # no temporary file left either


@pytest.mark.parametrize("direction", ["upload", "download"])
def test_text_and_closed_file_objects_are_refused(local_server: LocalServer, tmp_path: Any,
                                                  direction: str) -> None:
    s3 = _s3(local_server.url)
    closed = open(tmp_path / "f", "wb+")
    closed.close()
    for fileobj, problem in ((io.StringIO("abc"), "is a text-mode file object (StringIO)"),
                             (closed, "is a closed file object (BufferedRandom)")):
        with pytest.raises(ParamValidationError) as info:
            if direction == "upload":
                s3.upload_fileobj(fileobj, "bkt", "k")
            else:
                s3.download_fileobj("bkt", "k", fileobj)
        assert problem in info.value.problems[0]
        assert info.value.problems[0].startswith("Fileobj ")
    assert local_server.requests == []


def test_the_manager_refuses_at_submit_not_on_a_worker(local_server: LocalServer,
                                                       tmp_path: Any) -> None:
    with TransferManager(_s3(local_server.url)) as manager:
        with pytest.raises(LocalFileNotFoundError) as info:
            manager.upload(str(tmp_path / "nope"), "bkt", "k")
        assert info.value.problems[0].startswith("fileobj does not exist")
        with pytest.raises(LocalIsADirectoryError):
            manager.download("bkt", "k", str(tmp_path))
    assert local_server.requests == []


# --------------------------------------------------------------------------- mid-transfer


class _FullDisk(io.RawIOBase):
    """A writable target (a pipe, say) whose every write fails as a full disk does."""

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


class _BrokenSource(io.RawIOBase):
    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        raise OSError(errno.EIO, "Input/output error")


def test_a_local_write_failing_mid_download_is_a_local_file_error(
        local_server: LocalServer) -> None:
    local_server.set_default(ok(b"x" * 100_000))
    with pytest.raises(OSError) as info:  # still what boto3 code catches
        _s3(local_server.url).download_fileobj("bkt", "k", _FullDisk())
    error = info.value
    assert isinstance(error, LocalFileError)
    assert error.errno == errno.ENOSPC and isinstance(error.__cause__, OSError)
    assert error.operation == "download" and error.key == "k"
    assert str(error) == ("download of 'k': the local file or file object failed: OSError: "
                          "No space left on device")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is LocalFileError and copy.errno == errno.ENOSPC
    assert str(copy) == str(error) and copy.key == "k"


def test_a_local_read_failing_mid_upload_is_a_local_file_error(
        local_server: LocalServer) -> None:
    with pytest.raises(LocalFileError) as info:
        _s3(local_server.url).upload_fileobj(_BrokenSource(), "bkt", "k")
    assert info.value.errno == errno.EIO and info.value.operation == "upload"
    assert local_server.requests == []
