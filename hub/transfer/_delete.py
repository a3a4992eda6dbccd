"""A delete submitted to a ``TransferManager`` (s3transfer's ``delete``): one DeleteObject."""

from __future__ import annotations

from typing import Any

from hub.transfer._config import TransferConfig
from hub.transfer._future import Submit, TransferMeta
from hub.transfer._tasks import TaskBase

__all__ = ["Delete"]


class Delete(TaskBase):
    """One DeleteObject on a worker; the future's result is its response."""

    def __init__(self, client: Any, config: TransferConfig, submit: Submit, bucket: str,
                 key: str, extra_args: dict[str, Any]) -> None:
        super().__init__(client, config, submit, TransferMeta("delete", bucket, key), None,
                         None)
        self._extra = extra_args
        self._result: Any = None

    def start(self) -> None:
        meta = self.meta
        self._result = self.call(self.client.delete_object, Bucket=meta.bucket, Key=meta.key,
                                 **self._extra)

    def finish(self) -> Any:
        return self._result
