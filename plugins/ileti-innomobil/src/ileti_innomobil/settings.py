"""Settings of the Innomobil provider.

Each field can be given as a keyword to :class:`ileti.Client`, as the
environment variable ``ILETI_INNOMOBIL_<FIELD>`` or in the TOML table
``[providers.innomobil]``.
"""

from __future__ import annotations

import attrs

from ileti.plugin import (
    ConfigurationError,
    InsecureTransportWarning,
    InvalidSender,
    ProviderSettings,
    Secret,
    validate_base_url,
    validate_sender,
    warn_if_plain_http,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "GATE_NATIONAL_ID",
    "SUPPORTED_GATES",
    "InnomobilSettings",
    "InsecureBaseUrlWarning",
]

#: the only address the provider documents (plain HTTP; HTTPS is undocumented)
DEFAULT_BASE_URL = "http://s.innomobil.com"

#: ``gate`` values ileti sends with: 0 = Innomobil's own route, 1 = Turkcell (normal)
SUPPORTED_GATES = (0, 1)

#: ``gate`` 8 sends to Turkish national ID numbers (TCKN) instead of phone numbers
GATE_NATIONAL_ID = 8


#: kept for callers that filter the warning by this name
InsecureBaseUrlWarning = InsecureTransportWarning

_HTTP_ADVICE = (
    "the username and password travel in every request body. If your Innomobil endpoint "
    "supports TLS, set base_url to https://... (keyword base_url= or ILETI_INNOMOBIL_BASE_URL)"
)


def _check_gate(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(
            f"setting 'gate' must be a whole number (0 or 1), not {type(value).__name__}",
            setting="gate",
        )
    if value == GATE_NATIONAL_ID:
        raise ConfigurationError(
            "setting 'gate' is 8, Innomobil's route for sending to Turkish national ID "
            "numbers (TCKN) instead of phone numbers: ileti does not support national-ID "
            "sending yet. Use gate 0 (Innomobil route, the default) or 1 (Turkcell route).",
            setting="gate",
        )
    if value not in SUPPORTED_GATES:
        raise ConfigurationError(
            f"setting 'gate' is {value}: Innomobil routes are 0 (Innomobil, the default) "
            "or 1 (Turkcell)",
            setting="gate",
        )


def _check_username(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(
            "setting 'username' is empty: give your Innomobil user name "
            "(username=... or ILETI_INNOMOBIL_USERNAME)",
            setting="username",
        )


def _check_password(instance: object, attribute: attrs.Attribute[Secret], value: Secret) -> None:
    if not isinstance(value, Secret) or not value:
        raise ConfigurationError(
            "setting 'password' is empty: give your Innomobil password "
            "(password=... or ILETI_INNOMOBIL_PASSWORD)",
            setting="password",
        )


def _secret(value: Secret | str) -> Secret:
    return value if isinstance(value, Secret) else Secret(value)


def _optional_sender(value: str | None) -> str | None:
    if value is None or value == "":
        return None

    try:
        return validate_sender(value)
    except InvalidSender as exc:
        raise ConfigurationError(f"setting 'sender': {exc.message}", setting="sender") from None


@attrs.frozen(kw_only=True)
class InnomobilSettings(ProviderSettings):
    """Innomobil account settings.

    Attributes:
        base_url: the gateway's address; requests go to ``<base_url>/api/v1/<operation>``.
        username: the account's user name (sent in every request body).
        password: the account's password (sent in every request body).
        gate: the route: 0 = Innomobil (default), 1 = Turkcell. Gate 8 (national ID
            numbers) is refused: ileti does not support it yet.
        sender: the sender name used when a send does not name one.
    """

    base_url: str = attrs.field(default=DEFAULT_BASE_URL, converter=validate_base_url)
    username: str = attrs.field(validator=_check_username)
    password: Secret = attrs.field(converter=_secret, validator=_check_password)
    gate: int = attrs.field(default=0, validator=_check_gate)
    sender: str | None = attrs.field(default=None, converter=_optional_sender)

    def __attrs_post_init__(self) -> None:
        warn_if_plain_http("Innomobil", self.base_url, advice=_HTTP_ADVICE)
