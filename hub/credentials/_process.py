"""``credential_process``: credentials printed as JSON by an external command."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from hub._deferred import deferred_import
from hub._redact import scrubbed
from hub.credentials._files import credentials_or_error
from hub.credentials._time import parse_timestamp
from hub.credentials._values import Credentials, provider_class
from hub.errors import ConfigError, CredentialProviderError

if TYPE_CHECKING:
    import shlex
    import subprocess
else:  # imported when a credential_process is configured, not when the chain is built
    shlex = deferred_import(globals(), "shlex", "shlex")
    subprocess = deferred_import(globals(), "subprocess", "subprocess")

__all__ = ["ProcessProvider"]

# Enough of stderr to show what went wrong without flooding a log line.
_STDERR_LIMIT = 500


@provider_class
class ProcessProvider:
    """Runs a ``credential_process`` command and parses the JSON it prints.

    The command is split with :func:`shlex.split` and run without a shell; it inherits the
    environment and must print (format documented by AWS)::

        {"Version": 1, "AccessKeyId": "...", "SecretAccessKey": "...",
         "SessionToken": "...", "Expiration": "2030-01-01T00:00:00Z"}

    ``SessionToken`` and ``Expiration`` are optional; without ``Expiration`` the credentials
    never expire. The command runs on every :meth:`load` (wrap the provider in a
    :class:`~hub.credentials.CredentialsCache` to run it once per refresh).

    Error messages name the profile, the program (not its arguments, which may hold secrets),
    the exit status and the end of stderr; never anything from stdout.

    Args:
        command: The command line, as written in the config file.
        profile: The profile it came from, for error messages, or None.
        timeout: Seconds to wait for the command before killing it.

    Raises:
        ConfigError: ``command`` is empty or cannot be split, or ``timeout`` is not positive.
    """

    __slots__ = ("_argv", "_profile", "_timeout")

    name = "credential-process"

    def __init__(self, command: str, profile: str | None = None, *, timeout: float = 60.0) -> None:
        try:
            argv = shlex.split(command)
        except ValueError:
            argv = []
        if not argv:
            raise ConfigError(
                "credential_process must be a non-empty command line with balanced quotes",
                field="credential_process",
            )
        if not timeout > 0:
            raise ConfigError("credential_process timeout must be positive", field="timeout")
        self._argv = tuple(argv)
        self._profile = profile
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"ProcessProvider(program={self._program!r}, profile={self._profile!r})"

    @property
    def _program(self) -> str:
        return os.path.basename(self._argv[0])

    def _fail(self, message: str) -> CredentialProviderError:
        where = f"profile {self._profile!r}: " if self._profile is not None else ""
        return CredentialProviderError(self.name, f"{where}{self._program!r} {message}")

    def load(self) -> Credentials:
        """Run the command and return the credentials it printed.

        Returns:
            The credentials, with ``expiry`` when the command gave an ``Expiration``.

        Raises:
            CredentialProviderError: The command cannot be started, times out, exits non-zero
                or prints something other than version 1 credentials JSON, or a value it
                printed is invalid. Nothing it printed on stdout is quoted, chained or left in
                the locals of the frames the error passed through.
        """
        try:
            return self._load()
        except BaseException as exc:  # noqa: BLE001 - re-raised, scrubbed
            error = scrubbed(exc, f"{self._program!r}", provider=self.name)
        raise error  # outside the except block: no __context__ holding stdout

    def _load(self) -> Credentials:
        try:
            done = subprocess.run(
                self._argv,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=self._timeout,
                check=False,
            )
        except FileNotFoundError:
            raise self._fail("was not found") from None
        except subprocess.TimeoutExpired:
            # Not chained: TimeoutExpired carries whatever stdout the process printed.
            raise self._fail(f"did not finish within {self._timeout:g} s") from None
        except OSError as exc:
            raise self._fail(f"could not be started: {exc.strerror}") from None
        if done.returncode != 0:
            stderr = done.stderr.decode("utf-8", "replace").strip()[-_STDERR_LIMIT:]
            detail = f": {stderr}" if stderr else " (no stderr)"
            raise self._fail(f"exited with status {done.returncode}{detail}")
        return self._parse(done.stdout)

    def _parse(self, stdout: bytes) -> Credentials:
        try:
            data: Any = json.loads(stdout)
        except json.JSONDecodeError as exc:
            # Position only, not chained: the decoder's document is stdout, holding the secret.
            raise self._fail(
                f"did not print valid JSON (line {exc.lineno} column {exc.colno})"
            ) from None
        except ValueError:  # not UTF-8/16/32
            raise self._fail("did not print valid JSON (undecodable bytes)") from None
        if not isinstance(data, dict):
            raise self._fail(f"printed JSON {type(data).__name__}, not an object")
        if data.get("Version") != 1:
            raise self._fail(f"printed unsupported Version {data.get('Version')!r} (expected 1)")
        fields: dict[str, str | None] = {}
        for key in ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"):
            value = data.get(key)
            if value is not None and (not isinstance(value, str) or not value):
                raise self._fail(f"printed {key} that is not a non-empty string")
            fields[key] = value
        access_key, secret_key = fields["AccessKeyId"], fields["SecretAccessKey"]
        if access_key is None or secret_key is None:
            missing = "AccessKeyId" if access_key is None else "SecretAccessKey"
            raise self._fail(f"printed JSON without {missing}")
        expiry = None
        if fields["Expiration"] is not None:
            try:
                expiry = parse_timestamp(fields["Expiration"])
            except ValueError:
                raise self._fail(
                    f"printed Expiration {fields['Expiration']!r} that is not ISO-8601"
                ) from None
        where = f"profile {self._profile!r}: {self._program!r}" if self._profile is not None \
            else repr(self._program)
        return credentials_or_error(access_key, secret_key, fields["SessionToken"], expiry,
                                    provider=self.name, where=f"{where} printed invalid values")
