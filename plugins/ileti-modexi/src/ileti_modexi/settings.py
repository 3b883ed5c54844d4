"""Settings of the Modexi provider.

=========== ============================== ==========================================
Field       Environment variable           Meaning
=========== ============================== ==========================================
username    ``ILETI_MODEXI_USERNAME``      the API user name (HTTP Basic)
password    ``ILETI_MODEXI_PASSWORD``      the API password (HTTP Basic); a secret
base_url    ``ILETI_MODEXI_BASE_URL``      the gateway, ``https://api.modexi.com``
sender      ``ILETI_MODEXI_SENDER``        sender name used when a call gives none
state_codes ``ILETI_MODEXI_STATE_CODES``   report status codes, ``"20=undelivered,..."``
error_codes ``ILETI_MODEXI_ERROR_CODES``   error codes, ``"402=insufficient_credit,..."``
=========== ============================== ==========================================
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import attrs

from ileti.plugin import (
    Category,
    ConfigurationError,
    DeliveryState,
    InvalidSender,
    ProviderSettings,
    Secret,
    parse_code_table,
    validate_base_url,
    validate_sender,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "ModexiSettings",
    "check_sender",
    "parse_error_codes",
    "parse_state_codes",
]

#: The document shows ``http://api.modexi.com``; HTTPS is undocumented. The
#: lead chose HTTPS as the default (credentials travel in every request);
#: set ``base_url`` to ``http://api.modexi.com`` if the gateway refuses TLS.
DEFAULT_BASE_URL = "https://api.modexi.com"

#: Modexi's own sender rule (document: 3 to 11 alphanumeric, 3 to 14 numeric)
ALNUM_SENDER_LENGTH = (3, 11)
NUMERIC_SENDER_LENGTH = (3, 14)


def check_sender(name: str) -> str:
    """Apply Modexi's sender rule on top of the core's: 3 to 11 characters for an
    alphanumeric name, 3 to 14 digits for a numeric one. Returns the name."""
    if name.isascii() and name.isdigit():
        low, high = NUMERIC_SENDER_LENGTH
        if not low <= len(name) <= high:
            raise InvalidSender(
                f"numeric sender {name!r} has {len(name)} digits: Modexi takes numeric "
                f"senders of {low} to {high} digits"
            )
        return name
    if name.startswith("+"):
        raise InvalidSender(
            f"sender {name!r} starts with '+': Modexi takes numeric senders as plain digits "
            f"({NUMERIC_SENDER_LENGTH[0]} to {NUMERIC_SENDER_LENGTH[1]}), without '+'"
        )
    low, high = ALNUM_SENDER_LENGTH
    if not low <= len(name) <= high:
        raise InvalidSender(
            f"sender name {name!r} is {len(name)} characters: Modexi takes alphanumeric "
            f"sender names of {low} to {high} characters"
        )
    return name


def _sender(value: str | None) -> str | None:
    if value is None:
        return None

    try:
        return check_sender(validate_sender(value))
    except InvalidSender as exc:
        raise ConfigurationError(
            f"setting 'sender' is malformed: {exc.message}", setting="sender"
        ) from None


def _username(value: str) -> str:
    if not value or not value.strip():
        raise ConfigurationError(
            "setting 'username' is empty: give the Modexi API user name", setting="username"
        )
    if ":" in value:
        raise ConfigurationError(
            "setting 'username' contains ':', which HTTP Basic authorization cannot carry",
            setting="username",
        )
    return value


def _password(instance: object, attribute: attrs.Attribute[Secret], value: Secret) -> None:
    if not isinstance(value, Secret) or not value:
        raise ConfigurationError(
            "setting 'password' is empty: give the Modexi API password", setting="password"
        )


def parse_state_codes(text: str) -> Mapping[int, DeliveryState]:
    """Parse ``"20=undelivered, 30=expired"`` into ``{20: UNDELIVERED, 30: EXPIRED}``.

    Raises ConfigurationError naming the setting for a malformed entry.
    """
    table = parse_code_table(
        text, DeliveryState, setting="state_codes", example="20=undelivered,30=expired"
    )
    return MappingProxyType({int(code): state for code, state in table.items()})


def parse_error_codes(text: str) -> Mapping[str, Category]:
    """Parse ``"402=insufficient_credit, 422=invalid_sender"`` into ``errorCode`` ->
    :class:`~ileti.plugin.Category`. Raises ConfigurationError naming the setting."""
    return parse_code_table(
        text, Category, setting="error_codes", example="402=insufficient_credit,422=invalid_sender"
    )


def _state_codes(value: str) -> str:
    parse_state_codes(value)  # validate now, so a bad value fails when the client is built
    return value


def _error_codes(value: str) -> str:
    parse_error_codes(value)
    return value


@attrs.frozen(kw_only=True)
class ModexiSettings(ProviderSettings):
    """How to reach and authenticate against Modexi."""

    #: the API user name; sent as HTTP Basic ``Authorization``
    username: str = attrs.field(converter=_username)
    #: the API password; revealed only to build the ``Authorization`` header
    password: Secret = attrs.field(validator=_password)
    base_url: str = attrs.field(default=DEFAULT_BASE_URL, converter=validate_base_url)
    #: the sender name (``from``) used when a send gives none; Modexi needs one
    sender: str | None = attrs.field(default=None, converter=_sender)
    #: report status codes beyond the built-in table (Modexi does not publish its
    #: list): ``"CODE=STATE,..."``; entries override the built-in ones
    state_codes: str = attrs.field(default="", converter=_state_codes)
    #: ``errorCode`` values and their meaning (Modexi does not publish its list):
    #: ``"CODE=CATEGORY,..."``, a category being one of ``ileti.plugin.Category``
    error_codes: str = attrs.field(default="", converter=_error_codes)

    @property
    def extra_states(self) -> Mapping[int, DeliveryState]:
        return parse_state_codes(self.state_codes)

    @property
    def extra_errors(self) -> Mapping[str, Category]:
        return parse_error_codes(self.error_codes)
