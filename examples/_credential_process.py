"""A ``credential_process`` command for the examples and tests: prints dummy credentials.

It appends its parent's process id (the process that loaded credentials) to the file named by
its first argument, so a run can count credential loads per worker process. Real programs use
a real command (``aws configure export-credentials``, a vault client, ...).
"""

from __future__ import annotations

import datetime
import json
import os
import sys

if __name__ == "__main__":
    if len(sys.argv) > 1:
        with open(sys.argv[1], "a", encoding="utf-8") as log:
            log.write(f"{os.getppid()}\n")
    expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    print(json.dumps({
        "Version": 1,
        "AccessKeyId": "testing",
        "SecretAccessKey": "testing",
        "SessionToken": "testing",
        "Expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }))
