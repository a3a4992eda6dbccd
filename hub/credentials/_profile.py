"""A profile's settings as botocore sees them: the config file merged with the credentials file.

botocore builds one ``full_config`` in which a profile's keys come from ``[profile NAME]`` in the
config file, overridden key by key by ``[NAME]`` in the credentials file; ``sso-session`` and
``services`` sections come from the config file only. The role, web identity, SSO and metadata
settings are read from that view, and a setting that also has an environment variable takes the
variable first.
"""

from __future__ import annotations

from collections.abc import Mapping

from hub._value import dataclass, field
from hub.credentials._files import (
    config_file,
    config_profile,
    credentials_file,
    environ_of,
    read_ini,
    resolve_profile,
)
from hub.errors import CredentialProviderError

__all__ = ["ProfileView", "env_value", "load_profiles", "parse_bool"]

Section = Mapping[str, str]


def env_value(environ: Mapping[str, str], name: str) -> str | None:
    """Return a variable's value, or None when it is unset or empty (the SDKs' rule)."""
    value = environ.get(name)
    return value if value else None


def parse_bool(value: str | None) -> bool:
    """botocore's ``ensure_boolean`` for text: ``"true"`` in any case is True, anything else not."""
    return value is not None and value.strip().lower() == "true"


class _Keys(dict[str, str]):
    """A profile's keys; its ``repr`` names the keys only (the values include secrets)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<profile keys {sorted(self)!r}>"


@dataclass(frozen=True, slots=True)
class ProfileView:
    """Every profile of the shared files, merged, plus the chosen profile's name.

    Attributes:
        name: The selected profile.
        profiles: Profile name -> its keys (config file overridden by credentials file).
        sso_sessions: ``[sso-session NAME]`` sections of the config file.
        config_path: The config file read (for messages).
        environ: The environment the view was built from.
    """

    name: str
    profiles: Mapping[str, Section] = field(repr=False)
    sso_sessions: Mapping[str, Section] = field(repr=False)
    config_path: str
    environ: Mapping[str, str] = field(repr=False)

    @property
    def section(self) -> Section:
        """The selected profile's keys (empty when the profile does not exist)."""
        return self.profiles.get(self.name, {})

    def get(self, key: str, profile: str | None = None) -> str | None:
        """A key of ``profile`` (default: the selected one), None when unset or empty."""
        section = self.profiles.get(self.name if profile is None else profile, {})
        return section.get(key) or None

    def setting(self, env_var: str | None, key: str) -> str | None:
        """A setting from its environment variable first, then the selected profile."""
        if env_var is not None:
            value = env_value(self.environ, env_var)
            if value is not None:
                return value
        return self.get(key)


def load_profiles(
    profile: str | None, environ: Mapping[str, str] | None, provider: str
) -> ProfileView:
    """Read both shared files into a :class:`ProfileView` for ``profile``.

    Args:
        profile: The profile, or None for ``AWS_DEFAULT_PROFILE`` / ``AWS_PROFILE`` / default.
        environ: The environment, or None for ``os.environ``.
        provider: The calling provider's name, for errors.

    Raises:
        CredentialProviderError: A file exists but cannot be read or parsed.
    """
    env = environ_of(environ)
    cfg_path = config_file(None, env)
    config: Mapping[str, Mapping[str, str]] = read_ini(cfg_path, provider) or {}
    credentials: Mapping[str, Mapping[str, str]] = (
        read_ini(credentials_file(None, env), provider) or {}
    )
    profiles: dict[str, _Keys] = {}
    sso_sessions: dict[str, Section] = {}
    for section_name, keys in config.items():
        head, _, rest = section_name.partition(" ")
        if head == "profile" and rest.strip():
            profiles[rest.strip()] = _Keys(keys)
        elif head == "sso-session" and rest.strip():
            sso_sessions[rest.strip()] = _Keys(keys)
    default = config_profile(config, "default")  # "[profile default]", else "[default]"
    if default is not None:
        profiles["default"] = _Keys(default)
    for name, keys in credentials.items():
        profiles.setdefault(name, _Keys()).update(keys)
    return ProfileView(
        resolve_profile(profile, env), profiles, sso_sessions, cfg_path, env
    )


def require(view: ProfileView, provider: str, condition: bool, message: str) -> None:
    """Raise a provider error naming the profile when ``condition`` is false."""
    if not condition:
        raise CredentialProviderError(provider, f"profile {view.name!r}: {message}")
