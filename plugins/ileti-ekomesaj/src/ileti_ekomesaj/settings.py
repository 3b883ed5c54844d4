"""Ekomesaj settings (``ILETI_EKOMESAJ_<FIELD>`` in the environment)."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

import attrs

from ileti.plugin import (
    Category,
    ConfigurationError,
    InvalidSender,
    ProviderSettings,
    Secret,
    parse_code_table,
    validate_base_url,
    validate_sender,
)
from ileti_ekomesaj.wire import (
    API_STYLES,
    DEFAULT_API_STYLE,
    DEFAULT_BASE_URL,
    DEFAULT_RESELLER_ID,
    REPORT_OPERATION,
)

__all__ = ["EkomesajSettings", "parse_error_codes"]

_OPERATION = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,99}")


def _check_reseller(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(
            "setting 'reseller_id' must be a positive whole number (Ekomesaj's is 2050); a "
            "wrong one makes the gateway answer a username/password error",
            setting="reseller_id",
        )


def _check_sender(
    instance: object, attribute: attrs.Attribute[str | None], value: str | None
) -> None:
    if value is None:
        return
    try:
        validate_sender(value)
    except InvalidSender as exc:
        raise ConfigurationError(f"setting 'sender': {exc.message}", setting="sender") from None


def _secret(value: Secret | str) -> Secret:
    return value if isinstance(value, Secret) else Secret(value)


def _check_operation(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not _OPERATION.fullmatch(value):
        raise ConfigurationError(
            "setting 'report_operation' must be a ServiceStack operation name: letters, "
            f"digits and '_' (e.g. {REPORT_OPERATION!r})",
            setting="report_operation",
        )


def _lower(value: Any) -> Any:
    """``" XML "`` is ``"xml"``; anything else is left for the validator to refuse."""
    return value.strip().lower() if isinstance(value, str) else value


def _check_api_style(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in API_STYLES:
        shown = repr(value)[:40]
        raise ConfigurationError(
            f"setting 'api_style' is {shown}: use 'json' (the default, "
            "/json/syncreply/...) or 'xml' (DataContract XML, /xml/syncreply/...)",
            setting="api_style",
        )


@functools.lru_cache(maxsize=64)
def parse_error_codes(text: str) -> Mapping[str, Category]:
    """``"402=insufficient_credit,405=invalid_sender"`` -> ``Status.Code`` -> category.

    Read-only, and remembered per text: every send reads the setting's table."""
    return parse_code_table(
        text, Category, setting="error_codes", example="402=insufficient_credit"
    )


def _error_codes(value: str) -> str:
    parse_error_codes(value)  # validate now, so a bad value fails when the client is built
    return value


@attrs.frozen(kw_only=True)
class EkomesajSettings(ProviderSettings):
    """How to reach and authenticate with Ekomesaj.

    Attributes:
        base_url: the gateway (documented: ``http://api2.ekomesaj.com``; other
            resellers of the same platform run it on their own hosts).
        username: the account's user name (``Credential.Username``).
        password: the account's password (``Credential.Password``), a secret.
        reseller_id: ``Credential.ResellerID``; 2050 for Ekomesaj. Missing or
            wrong, the gateway answers a username/password error.
        sender: the sender name used when a message gives none. When neither
            is set, ``SenderName`` is sent empty.
        report_operation: the name of the per-number report operation, which
            the provider does not document (our default: ``GetSmsReport``).
        api_style: ``"json"`` (the default: ``/json/syncreply/...``) or
            ``"xml"`` (DataContract XML: ``/xml/syncreply/...``).
        error_codes: what ``Status.Code`` values mean, ``"CODE=CATEGORY,..."``
            (Ekomesaj publishes no list, so ileti gives no code a meaning of
            its own; the emulator hands over its invented codes this way).
    """

    base_url: str = attrs.field(default=DEFAULT_BASE_URL, converter=validate_base_url)
    username: str = attrs.field()
    password: Secret = attrs.field(converter=_secret)
    reseller_id: int = attrs.field(default=DEFAULT_RESELLER_ID, validator=_check_reseller)
    sender: str | None = attrs.field(default=None, validator=_check_sender)
    report_operation: str = attrs.field(default=REPORT_OPERATION, validator=_check_operation)
    api_style: str = attrs.field(
        default=DEFAULT_API_STYLE, converter=_lower, validator=_check_api_style
    )
    error_codes: str = attrs.field(default="", converter=_error_codes)

    @property
    def extra_errors(self) -> Mapping[str, Category]:
        """``error_codes`` parsed: ``Status.Code`` -> category."""
        return parse_error_codes(self.error_codes)

    @username.validator
    def _check_username(self, attribute: attrs.Attribute[str], value: str) -> None:
        if not isinstance(value, str) or not value.strip():
            raise ConfigurationError(
                "setting 'username' is empty: pass username=... or set ILETI_EKOMESAJ_USERNAME",
                setting="username",
            )

    @password.validator
    def _check_password(self, attribute: attrs.Attribute[Secret], value: Secret) -> None:
        if not isinstance(value, Secret) or not value:
            raise ConfigurationError(
                "setting 'password' is empty: pass password=... or set ILETI_EKOMESAJ_PASSWORD",
                setting="password",
            )
