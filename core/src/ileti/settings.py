"""Provider settings: secrets, base URLs, and where each value comes from.

Each plugin declares its settings as a frozen ``attrs`` class (keyword-only
fields; subclass :class:`ProviderSettings` to get ``base_url``). Values come
from, in order of precedence:

1. keyword arguments to :class:`ileti.Client`,
2. the environment: ``ILETI_<PROVIDER>_<FIELD>`` (``ILETI_EFECELL_API_KEY``),
3. a TOML file: the table ``[providers.<provider>]``,
4. the field's default.

They are structured by cattrs; a missing or malformed setting raises
:class:`ileti.errors.ConfigurationError` naming it.
"""

from __future__ import annotations

import enum
import functools
import hmac
import ipaddress
import os
import stat
import threading
import tomllib
import warnings
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar
from urllib.parse import urlsplit

import attrs

from ileti._env import MASK
from ileti.errors import ConfigurationError

__all__ = [
    "PROVIDER_ENV",
    "ExposedSecretsWarning",
    "InsecureTransportWarning",
    "ProviderSettings",
    "ResolvedSettings",
    "Secret",
    "default_config_path",
    "default_provider",
    "env_var",
    "parse_code_table",
    "private_file",
    "resolve_settings",
    "secret_settings",
    "secret_values",
    "validate_base_url",
    "warn_if_plain_http",
]

T = TypeVar("T")
E = TypeVar("E", bound=enum.Enum)


class Secret:
    """A credential. It never shows itself in ``repr``, ``str`` or f-strings.

    Call :meth:`reveal` at the one place the value goes on the wire.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        raw: object = value
        if isinstance(raw, Secret):
            raw = raw.reveal()
        if not isinstance(raw, str):
            raise TypeError("a Secret holds a str")
        self._value = raw

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> Any:
        raise TypeError("a Secret cannot be pickled")


def validate_base_url(value: str, *, setting: str = "base_url") -> str:
    """Check a base URL: http(s), a host, an optional port and path prefix.

    Returns it without a trailing slash. User info, query strings and
    fragments are refused (credentials belong in their own settings).
    """
    parts = urlsplit(value)
    problem = None
    if parts.scheme not in ("http", "https"):
        problem = "it must start with http:// or https://"
    elif not parts.hostname:
        problem = "it has no host"
    elif parts.username or parts.password:
        problem = "it must not carry a user name or password; use the credential settings"
    elif parts.query or parts.fragment:
        problem = "it must not have a query string or fragment"
    else:
        try:
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            problem = "its port is not a number from 1 to 65535"
    if problem:
        shown = f"{parts.scheme}://{parts.hostname}" if parts.hostname else repr(value[:40])
        raise ConfigurationError(
            f"setting {setting!r} ({shown}) is malformed: {problem}. "
            "Example: https://api.example.com or http://127.0.0.1:8080",
            setting=setting,
        )
    return value.rstrip("/")


class InsecureTransportWarning(UserWarning):
    """A provider's base URL is plain HTTP to a remote host: credentials
    travel unencrypted."""


_plain_http_warned: set[str] = set()
_plain_http_lock = threading.Lock()


def is_loopback(host: str) -> bool:
    """Whether a host name or address is this machine (an emulator)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@functools.lru_cache(maxsize=64)
def _plain_http_host(base_url: str) -> str | None:
    """The host of a plain ``http://`` URL that is not loopback, else ``None``
    (kept: a plugin may ask on every send)."""
    parts = urlsplit(base_url)
    if parts.scheme != "http" or is_loopback(parts.hostname or ""):
        return None
    return parts.hostname


def warn_if_plain_http(provider: str, base_url: str, *, advice: str = "") -> bool:
    """Warn once per process and provider when credentials would cross the
    network unencrypted (``http://`` to a host that is not loopback).

    Returns whether this call warned. ``advice`` ends the message (how to
    switch, what the provider documents).
    """
    host = _plain_http_host(base_url)
    if host is None:
        return False
    with _plain_http_lock:
        if provider in _plain_http_warned:
            return False
        _plain_http_warned.add(provider)
    message = f"{provider} base_url http://{host} is plain HTTP: the credentials travel unencrypted"
    if advice:
        message += f"; {advice}"
    warnings.warn(message, InsecureTransportWarning, stacklevel=3)
    return True


def forget_plain_http_warnings() -> None:
    """Warn again (for tests)."""
    with _plain_http_lock:
        _plain_http_warned.clear()
        _exposed_warned.clear()


class ExposedSecretsWarning(UserWarning):
    """A file holding credentials can be read by other users of the machine."""


_exposed_warned: set[str] = set()


def _others_can_read(path: Path) -> int | None:
    """The file's permission bits when group or others may read or write it."""
    if os.name != "posix":
        return None
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    return mode if mode & 0o077 else None


def warn_if_exposed(path: Path, names: list[str]) -> bool:
    """Warn once per file when a config file holding the secrets ``names``
    can be read by other users (as ssh does for a private key)."""
    mode = _others_can_read(path)
    if mode is None or not names:
        return False
    with _plain_http_lock:
        key = str(path.resolve())
        if key in _exposed_warned:
            return False
        _exposed_warned.add(key)
    warnings.warn(
        f"config file {str(path)!r} holds secrets ({', '.join(sorted(names))}) and other users "
        f"can read it (mode {mode:04o}): make it private with: chmod 600 {path}",
        ExposedSecretsWarning,
        stacklevel=4,
    )
    return True


def private_file(path: Path | str) -> Path:
    """Make sure a file exists that only its owner can read or write.

    A new file is created with mode 0600 from the start (never readable by
    others, even for a moment); an existing one loses any group and other
    permissions. Its folder is created 0700 if missing. For stores holding
    numbers, ids or credentials (personal data).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            os.chmod(path, mode & 0o700)
    else:
        os.close(fd)
    return path


@attrs.frozen(kw_only=True)
class ProviderSettings:
    """Base of every provider's settings.

    ``base_url``: the gateway's scheme, host and port (subclasses set its
    default with ``attrs.field``). ``default_encoding``: the encoding used
    when a send names none (``auto``, or one the provider offers; checked
    when the client is made).
    """

    base_url: str = attrs.field(converter=validate_base_url)
    default_encoding: str = "auto"


def parse_code_table(text: str, values: type[E], *, setting: str, example: str) -> Mapping[str, E]:
    """Parse a setting ``"CODE=VALUE, CODE=VALUE"`` into ``{"CODE": values("VALUE")}``.

    How a user tells a plugin what a gateway's unpublished codes mean (report
    states, error categories): a plugin reads only what the gateway's document
    states, and an emulator that answers codes of its own invention hands its
    table over the same way (in its ``credentials()``). Codes are integers
    (a leading ``-`` allowed); values are matched without regard to case.
    Raises :class:`ConfigurationError` naming ``setting`` for a malformed entry.
    """
    table: dict[str, E] = {}
    for raw_entry in text.split(","):
        entry = raw_entry.strip()
        if not entry:
            continue
        code, sep, value = entry.partition("=")
        code, value = code.strip(), value.strip().lower()
        if not sep or not code.removeprefix("-").isdigit():
            raise ConfigurationError(
                f"setting {setting!r} has a malformed entry {entry!r}: write CODE=VALUE, "
                f"e.g. {example!r}",
                setting=setting,
            )
        try:
            table[str(int(code))] = values(value)
        except ValueError:
            known = ", ".join(str(v.value) for v in values)
            raise ConfigurationError(
                f"setting {setting!r}: {value!r} is not one of: {known}", setting=setting
            ) from None
    return MappingProxyType(table)


def secret_settings(settings: object) -> dict[str, str]:
    """Every secret held by a settings object, by setting name."""
    found: dict[str, str] = {}
    cls = type(settings)
    if attrs.has(cls):
        for field in attrs.fields(cls):
            value = getattr(settings, field.name)
            if isinstance(value, Secret) and value.reveal():
                found[field.name] = value.reveal()
    return found


def secret_values(settings: object) -> list[str]:
    """Every secret value held by a settings object (for redaction)."""
    return list(secret_settings(settings).values())


def env_var(provider: str, field: str) -> str:
    """The environment variable for a setting: ``ILETI_EFECELL_API_KEY``."""
    return f"ILETI_{provider.upper().replace('-', '_')}_{field.upper()}"


def default_config_path() -> Path:
    """``$ILETI_CONFIG``, else ``$XDG_CONFIG_HOME/ileti/config.toml`` (``~/.config``)."""
    explicit = os.environ.get("ILETI_CONFIG")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "ileti" / "config.toml"


#: the provider to use when none is named (``ILETI_PROVIDER=outbox`` in tests)
from ileti._env import PROVIDER_ENV  # noqa: E402 - kept beside the rule that reads it


def _load_config(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        reason = str(exc)
        raise ConfigurationError(
            f"config file {str(path)!r} cannot be read: {reason}", setting="config"
        ) from None


def default_provider(
    env: Mapping[str, str] | None = None, config_file: Path | str | None = None
) -> str:
    """The provider to use when none is named: ``$ILETI_PROVIDER``, else the
    config file's top-level ``provider = "..."``."""
    environ = os.environ if env is None else env
    name: object = environ.get(PROVIDER_ENV, "").strip()
    source = f"${PROVIDER_ENV}"
    if not name and config_file is not None:
        name = _load_config(Path(config_file)).get("provider", "")
        source = f"'provider' in config file {str(config_file)!r}"
    if not isinstance(name, str):
        raise ConfigurationError(f"{source} must be a provider id (text)", setting="provider")
    if not name:
        raise ConfigurationError(
            "no provider named: pass one (Client.from_env('efecell')), set "
            f'{PROVIDER_ENV}, or write provider = "..." at the top of the config file',
            setting="provider",
        )
    return name


def load_config_table(path: Path, provider: str) -> dict[str, Any]:
    """The ``[providers.<provider>]`` table of a TOML file (empty if absent)."""
    data = _load_config(path)
    providers = data.get("providers", {})
    if not isinstance(providers, dict):
        raise ConfigurationError(
            f"config file {str(path)!r}: 'providers' must be a table", setting="config"
        )
    table = providers.get(provider, {})
    if not isinstance(table, dict):
        raise ConfigurationError(
            f"config file {str(path)!r}: [providers.{provider}] must be a table",
            setting="config",
        )
    return dict(table)


@attrs.frozen
class ResolvedSettings:
    """Settings with the source of each value (for ``ileti config show``)."""

    settings: Any
    sources: Mapping[str, str]

    def masked(self) -> dict[str, str]:
        """Each setting as text, secrets masked."""
        out: dict[str, str] = {}
        for field in attrs.fields(type(self.settings)):
            value = getattr(self.settings, field.name)
            out[field.name] = MASK if isinstance(value, Secret) else str(value)
        return out


def _converter() -> Any:
    import cattrs  # lazy: `import ileti` must stay cheap

    conv = cattrs.Converter(forbid_extra_keys=True)

    def to_secret(value: Any, _: type) -> Secret:
        if isinstance(value, Secret):
            return value
        if not isinstance(value, str):
            raise ValueError("expected text")
        return Secret(value)

    def to_bool(value: Any, _: type) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str):
            low = value.strip().lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off", ""):
                return False
        raise ValueError("expected true or false")

    def to_int(value: Any, _: type) -> int:
        if isinstance(value, bool):
            raise ValueError("expected a whole number")
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value.strip())
        raise ValueError("expected a whole number")

    def to_float(value: Any, _: type) -> float:
        if isinstance(value, bool):
            raise ValueError("expected a number")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ValueError("expected a number") from None

    def to_decimal(value: Any, _: type) -> Decimal:
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise ValueError("expected a number") from None

    def to_str(value: Any, _: type) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise ValueError("expected text")

    conv.register_structure_hook(Secret, to_secret)
    conv.register_structure_hook(bool, to_bool)
    conv.register_structure_hook(int, to_int)
    conv.register_structure_hook(float, to_float)
    conv.register_structure_hook(Decimal, to_decimal)
    conv.register_structure_hook(str, to_str)
    return conv


def _config_error(provider: str, exc: BaseException) -> ConfigurationError:
    """Turn a cattrs structuring error into a ConfigurationError naming the setting."""
    from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError

    if isinstance(exc, ConfigurationError):
        return exc
    if isinstance(exc, ForbiddenExtraKeysError):
        names = ", ".join(sorted(exc.extra_fields))
        return ConfigurationError(
            f"unknown setting(s) for provider {provider!r}: {names}",
            setting=sorted(exc.extra_fields)[0],
            provider=provider,
        )
    if isinstance(exc, ClassValidationError):
        for sub in exc.exceptions:
            notes = getattr(sub, "__notes__", []) or []
            field = None
            for note in notes:
                if "attribute" in note:
                    # cattrs notes read "Structuring class X @ attribute name"
                    field = note.rsplit(" ", 1)[-1]
            if isinstance(sub, KeyError) and field:
                return ConfigurationError(
                    f"setting {field!r} is required for provider {provider!r}: pass "
                    f"{field}=... or set {env_var(provider, field)}",
                    setting=field,
                    provider=provider,
                )
            if isinstance(sub, ConfigurationError):
                return ConfigurationError(sub.message, setting=sub.setting, provider=provider)
            if field:
                reason = str(sub) if not isinstance(sub, KeyError) else "missing"
                return ConfigurationError(
                    f"setting {field!r} for provider {provider!r} is malformed: {reason}",
                    setting=field,
                    provider=provider,
                )
            if isinstance(sub, ClassValidationError | ForbiddenExtraKeysError):
                return _config_error(provider, sub)
    return ConfigurationError(
        f"settings for provider {provider!r} are malformed: {type(exc).__name__}",
        provider=provider,
    )


def resolve_settings(
    provider: str,
    settings_type: type[T],
    explicit: Mapping[str, Any] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    config_file: Path | str | None = None,
) -> ResolvedSettings:
    """Merge explicit values, the environment and a TOML file into settings.

    ``env`` is ``os.environ`` when ``None``; pass ``{}`` to ignore the
    environment. ``config_file`` is read only when given.
    """
    if not attrs.has(settings_type):
        raise TypeError(f"{settings_type!r} is not an attrs class")
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    names = [f.name for f in attrs.fields(settings_type)]

    if config_file is not None:
        path = Path(config_file)
        for key, value in load_config_table(path, provider).items():
            values[key] = value
            sources[key] = f"config file {path}"
    environ = os.environ if env is None else env
    for name in names:
        var = env_var(provider, name)
        if var in environ:
            values[name] = environ[var]
            sources[name] = f"environment {var}"
    for key, value in (explicit or {}).items():
        if value is None:
            continue
        values[key] = value
        sources[key] = "argument"
    for name in names:
        sources.setdefault(name, "default")

    conv = _converter()
    try:
        settings = conv.structure(values, settings_type)
    except Exception as exc:  # cattrs wraps every failure; re-raised typed, without the values
        error = _config_error(provider, exc)
    else:
        if config_file is not None:
            from_file = [
                name
                for name in secret_settings(settings)
                if sources.get(name, "").startswith("config file")
            ]
            warn_if_exposed(Path(config_file), from_file)
        return ResolvedSettings(settings=settings, sources=sources)
    raise error
