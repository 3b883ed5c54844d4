"""Kobikom settings: credentials, base URL, body style and the report store.

Every field can come from ``ILETI_KOBIKOM_<FIELD>`` (``ILETI_KOBIKOM_PASSWORD``).
Nothing here touches the file system: the report store's folder is created
the first time a report is stored (see :mod:`ileti_kobikom.store`).
"""

from __future__ import annotations

import os
from pathlib import Path

import attrs

from ileti.plugin import (
    ConfigurationError,
    InsecureTransportWarning,
    ProviderSettings,
    Secret,
    validate_base_url,
    warn_if_plain_http,
)

__all__ = [
    "BODY_STYLES",
    "DEFAULT_BASE_URL",
    "MEMORY_STORE",
    "SYNC_LEVELS",
    "InsecureTransportWarning",
    "KobikomSettings",
    "default_report_store",
    "warn_if_insecure",
]

#: the documented host; the document shows only http (HTTPS is undocumented)
DEFAULT_BASE_URL = "http://www.kobikom.com"

#: How a document is posted (see docs/providers/kobikom.md):
#:
#: * ``"form"`` (the default): ``XML=<url-encoded xml>`` as a form field with
#:   ``Content-Type: application/x-www-form-urlencoded``. Inferred from the
#:   Infobip-legacy API this one copies and its white-labels. The default
#:   because it is the only form in which ``XML=`` is unambiguous: a server that
#:   reads the ``XML`` form field gets the document intact whatever it holds
#:   (``&``, ``+`` and ``%`` are encoded).
#: * ``"literal"``: the document's literal request, ``Content-Type:
#:   application/xml`` and a body of ``XML=`` followed by the bare XML.
#: * ``"raw"``: the bare XML document as the body (``application/xml``), as one
#:   public client posts it.
BODY_STYLES = ("form", "literal", "raw")

#: the ``report_store`` value that keeps pulled reports in memory only
MEMORY_STORE = ":memory:"

#: ``report_store_sync``: whether the package the report store writes before a
#: send request leaves is fsynced. SQLite's names for its ``synchronous``
#: levels (the file is in WAL mode). ``"full"`` (the default): on disk before
#: the request leaves, one fsync (about 0.2 ms) per send. ``"normal"``: in the
#: log, so a killed process loses nothing, but an OS crash or a power cut can
#: lose the last ones, and with them the guard against reusing their
#: ``client_ref``. The send's answer is never fsynced, pulled reports always
#: are. What each can lose: docs/providers/kobikom.md, "What a crash can lose".
SYNC_LEVELS = ("normal", "full")


def default_report_store() -> str:
    """``$XDG_STATE_HOME/ileti/kobikom-reports.sqlite3``, else under ``~/.local/state``.

    Only computes the path: the folder is created on first use.
    """
    base = os.environ.get("XDG_STATE_HOME", "")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "state"
    return str(root / "ileti" / "kobikom-reports.sqlite3")


def _one_of(setting: str, value: str, allowed: tuple[str, ...], choices: str) -> str:
    """``value`` as one of ``allowed`` (any case, spaces around ignored);
    ``choices`` says what each means, for the error."""
    choice = str(value).strip().lower()
    if choice not in allowed:
        raise ConfigurationError(
            f"setting {setting!r} is {value!r}: use {choices}", setting=setting
        )
    return choice


def _body_style(value: str) -> str:
    return _one_of(
        "body_style",
        value,
        BODY_STYLES,
        "'form' (the XML= form field, the default), 'literal' (the document's literal "
        "'XML=<SMS>...' body labelled application/xml) or 'raw' (the bare XML document as the "
        "body)",
    )


def _report_store_sync(value: str) -> str:
    return _one_of(
        "report_store_sync",
        value,
        SYNC_LEVELS,
        "'full' (the default: every send's package is on disk before its request leaves) or "
        "'normal' (faster: a killed process loses nothing, a power cut may lose the last sends' "
        "packages)",
    )


def _report_store(value: str) -> str:
    text = str(value).strip()
    if not text:
        raise ConfigurationError(
            "setting 'report_store' is empty: give the path of a SQLite file, or ':memory:' "
            "to keep pulled reports in memory only",
            setting="report_store",
        )
    return text


def _push_url(value: Secret | str | None) -> Secret | None:
    """An http(s) URL, kept secret (its last segment is the receiver's token)."""
    if value is None:
        return None
    text = value.reveal() if isinstance(value, Secret) else str(value)
    if not text.strip():
        return None
    return Secret(validate_base_url(text.strip(), setting="push_url"))


@attrs.frozen(kw_only=True)
class KobikomSettings(ProviderSettings):
    """Settings of the ``kobikom`` provider.

    Attributes:
        base_url: the gateway (``http://www.kobikom.com``; the document shows
            no HTTPS address).
        username: the Kobikom user name (``<kullanici>``).
        password: the Kobikom password (``<parola>``), a :class:`~ileti.settings.Secret`.
        body_style: ``"form"`` (the default: ``XML=`` form field), ``"literal"``
            (the document's ``XML=`` + bare XML, ``application/xml``) or ``"raw"``.
        report_store: the SQLite file that keeps pulled delivery reports
            (Kobikom returns each report only once), or ``":memory:"``.
        report_store_sync: ``"full"`` (the default) or ``"normal"``: whether
            the package the store writes before a send request is fsynced
            (see ``SYNC_LEVELS``).
        push_url: where Kobikom should push delivery reports (``pushurl``),
            ending with the receiver's secret token; ``None``: no pushes.
    """

    base_url: str = attrs.field(default=DEFAULT_BASE_URL, converter=validate_base_url)
    username: str
    password: Secret
    body_style: str = attrs.field(default="form", converter=_body_style)
    report_store: str = attrs.field(factory=default_report_store, converter=_report_store)
    report_store_sync: str = attrs.field(default="full", converter=_report_store_sync)
    push_url: Secret | None = attrs.field(default=None, converter=_push_url)


def warn_if_insecure(base_url: str) -> bool:
    """Warn once per process when credentials would travel unencrypted
    (never for loopback hosts). Returns whether this call warned."""
    return warn_if_plain_http(
        "Kobikom",
        base_url,
        advice="Kobikom documents no HTTPS address; set base_url to an https:// address if "
        "your account has one",
    )
