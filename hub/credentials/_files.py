"""Reading the shared AWS files (``~/.aws/credentials``, ``~/.aws/config``) and profiles."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime

from hub._redact import scrubbed
from hub._settings import config_file, credentials_file, resolve_profile
from hub.credentials._values import Credentials
from hub.errors import ConfigError, CredentialProviderError

# config_file, credentials_file and resolve_profile live in hub._settings, which resolves the
# profile for every new session without loading this module when there is nothing to parse.
__all__ = ["config_file", "credentials_file", "resolve_profile", "resolve_region"]


# configparser copies a "[DEFAULT]" section into every other section; the AWS files have no such
# notion, so give that role to a name no file will use and treat "[DEFAULT]" as a plain section.
_NO_DEFAULT_SECTION = "\x00hub: no default section"


def environ_of(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    """Return ``environ``, or the live ``os.environ`` when it is None."""
    return os.environ if environ is None else environ


class Section(dict[str, str]):
    """One section's ``key -> value``; its ``repr`` shows the keys, never the values.

    The values include secret keys and tokens, and a section is a local variable of the
    providers, so a traceback recorded with its locals must not show them.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<Section keys={sorted(self)!r}>"


class Sections(dict[str, dict[str, str]]):
    """A parsed INI file: ``section name -> Section``; its ``repr`` shows only the names.

    Keep the values as :class:`Section` objects when copying them (``dict(section)`` would
    make their repr show the secrets again).
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<Sections {sorted(self)!r}>"


def read_ini(path: str, provider: str) -> dict[str, dict[str, str]] | None:
    """Parse an AWS-style INI file into ``{section: {key: value}}``.

    Args:
        path: The file to read.
        provider: The provider's name, for error messages.

    Returns:
        The sections (masked reprs), or None when the file does not exist.

    Raises:
        CredentialProviderError: The file exists but cannot be read or parsed. The message names
            the file and line numbers only: a parse error's own text quotes the offending line,
            which may hold a secret, so it is neither shown nor chained, and the frames that
            held the file's text are cleared of their locals.
    """
    try:
        return _read_ini(path, provider)
    except BaseException as exc:  # noqa: BLE001 - re-raised, scrubbed
        error = scrubbed(exc, f"reading {path}", provider=provider)
    raise error  # outside the except block: no __context__ holding the file's text


def _read_ini(path: str, provider: str) -> dict[str, dict[str, str]] | None:
    try:
        with open(path, encoding="utf-8-sig") as file:
            text = file.read()
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise CredentialProviderError(provider, f"{path} is not UTF-8 text") from None
    except OSError as exc:
        raise CredentialProviderError(provider, f"cannot read {path}: {exc.strerror}") from None
    if not text or text.isspace():
        return Sections()  # nothing to parse (AWS_CONFIG_FILE=/dev/null, an empty file)
    import configparser  # here: a process without shared files never loads it

    parser = configparser.ConfigParser(
        interpolation=None, strict=False, default_section=_NO_DEFAULT_SECTION
    )
    problem: str | None = None
    try:
        parser.read_string(text, source=path)
    except configparser.MissingSectionHeaderError as exc:
        problem = f"line {exc.lineno} comes before any [section] header"
    except configparser.ParsingError as exc:
        lines = ", ".join(str(lineno) for lineno, _ in exc.errors)
        problem = f"cannot parse line(s) {lines}"
    except configparser.Error as exc:
        problem = f"invalid INI syntax ({type(exc).__name__})"
    if problem is not None:
        raise CredentialProviderError(provider, f"malformed file {path}: {problem}")
    return Sections(
        (name, Section((key, value.strip()) for key, value in parser.items(name, raw=True)))
        for name in parser.sections()
    )


def config_profile(
    sections: Mapping[str, Mapping[str, str]], profile: str
) -> Mapping[str, str] | None:
    """Return ``profile``'s section of a config file (``[profile NAME]``, or ``[default]``)."""
    section = sections.get(f"profile {profile}")
    if section is None and profile == "default":
        section = sections.get("default")
    return section


def static_credentials(
    section: Mapping[str, str], *, provider: str, where: str
) -> Credentials | None:
    """Build credentials from a profile's ``aws_access_key_id``/``aws_secret_access_key`` keys.

    Args:
        section: The profile's keys.
        provider: The provider's name, for error messages.
        where: The profile and file, for error messages.

    Returns:
        The credentials, or None when the profile has neither key.

    Raises:
        CredentialProviderError: Only one of the two keys is set, or a value is invalid (the
            message names the key, never its value).
    """
    try:
        return _static_credentials(section, provider, where)
    except BaseException as exc:  # noqa: BLE001 - re-raised, scrubbed
        error = scrubbed(exc, f"reading the keys of {where}", provider=provider)
    raise error


def _static_credentials(
    section: Mapping[str, str], provider: str, where: str
) -> Credentials | None:
    access_key = section.get("aws_access_key_id") or None
    secret_key = section.get("aws_secret_access_key") or None
    if access_key is None and secret_key is None:
        return None
    if access_key is None or secret_key is None:
        missing = "aws_secret_access_key" if secret_key is None else "aws_access_key_id"
        raise CredentialProviderError(provider, f"{where} has no {missing}")
    token = section.get("aws_session_token") or section.get("aws_security_token") or None
    return credentials_or_error(access_key, secret_key, token, None, provider=provider,
                                where=where)


def credentials_or_error(
    access_key: str,
    secret_key: str,
    token: str | None,
    expiry: datetime | None,
    *,
    provider: str,
    where: str,
) -> Credentials:
    """Build Credentials, turning an invalid value into the provider's typed error.

    Raises:
        CredentialProviderError: A value is invalid; the message names the field (from
            :class:`~hub.Credentials`' own check), never the value.
    """
    problem: str | None = None
    try:
        return Credentials(access_key, secret_key, token, expiry)
    except ConfigError as exc:
        problem = str(exc)
    del access_key, secret_key, token
    raise CredentialProviderError(provider, f"{where}: {problem}")


def resolve_region(
    profile: str | None = None, environ: Mapping[str, str] | None = None
) -> str | None:
    """Return the ``region`` set for a profile in the shared config file.

    The session consults this after ``AWS_REGION`` and ``AWS_DEFAULT_REGION``. The profile is
    chosen as for credentials (argument, ``AWS_DEFAULT_PROFILE``, ``AWS_PROFILE``, ``default``);
    the file is ``AWS_CONFIG_FILE`` or ``~/.aws/config``. The file is read on every call.

    Args:
        profile: The profile name, or None to choose it from the environment.
        environ: The environment to read, or None for ``os.environ``.

    Returns:
        The region, or None when the file, the profile or the key is missing.

    Raises:
        ConfigError: The config file exists but cannot be read or parsed.
    """
    env = environ_of(environ)
    path = config_file(None, env)
    try:
        sections = read_ini(path, "shared-config-file")
    except CredentialProviderError as exc:
        raise ConfigError(str(exc), field="region") from None
    if sections is None:
        return None
    section = config_profile(sections, resolve_profile(profile, env))
    if section is None:
        return None
    return section.get("region") or None
