"""The one tree of errors every ileti call raises.

Every error carries the provider id, the provider's raw code, the HTTP
status, a ``retryable`` flag and a short, already redacted excerpt of what
the provider answered. The message always says what to do next.

The tree::

    IletiError
    ├── ConfigurationError          a setting is missing or malformed
    ├── ValidationError             bad input; nothing was sent
    │   ├── InvalidRecipient
    │   ├── InvalidSender
    │   ├── MessageTooLong
    │   ├── InvalidContent
    │   └── UnknownMessage          no message with this id (report)
    ├── NotSupported                the provider lacks the hook or option
    ├── ProviderError               the provider refused; nothing was sent
    │   ├── AuthenticationError
    │   ├── InsufficientCredit
    │   ├── AccountInactive
    │   ├── Forbidden
    │   ├── RateLimited
    │   ├── Rejected
    │   ├── ProviderUnavailable
    │   │   └── CircuitOpen         a router skipped the provider (breaker open)
    │   └── NoProviderLeft          no provider of a router took the message
    ├── TransportError              nothing left this machine (or a read failed)
    ├── DeliveryUnknown             the send may have happened: do not resend
    └── MalformedResponse           the provider answered something unreadable
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: ``ileti segments`` imports this module, and typing costs 2 ms
if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime
    from typing import Self

    from ileti.models import SendResult

__all__ = [
    "AccountInactive",
    "AuthenticationError",
    "CircuitOpen",
    "ConfigurationError",
    "DeliveryUnknown",
    "Forbidden",
    "IletiError",
    "InsufficientCredit",
    "InvalidContent",
    "InvalidRecipient",
    "InvalidSender",
    "MalformedResponse",
    "MessageTooLong",
    "NoProviderLeft",
    "NotSupported",
    "ProviderError",
    "ProviderUnavailable",
    "RateLimited",
    "Rejected",
    "TransportError",
    "UnknownMessage",
    "ValidationError",
]

EXCERPT_LIMIT = 200


def excerpt(text: str | bytes | None, limit: int = EXCERPT_LIMIT) -> str | None:
    """A short, single-line, redacted excerpt of a provider answer.

    Every secret a live client registered (and every sensitive field) is
    masked in the whole answer first, and only then is it cut, so a gateway
    or proxy that echoes the request (after any amount of padding) cannot
    put a password, or part of one, into an exception.
    """
    if text is None:
        return None
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    from ileti.redact import redact  # every registered secret, before anything is cut

    flat = " ".join(redact(text).split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return flat


class IletiError(Exception):
    """Base of every error ileti raises.

    Attributes:
        provider: provider id (``"efecell"``) or ``None`` when no provider is involved.
        code: the provider's raw error code or status text, as a string.
        http_status: the HTTP status of the answer, when there was one.
        retryable: whether the same call may succeed if made again later.
        excerpt: a short redacted excerpt of the provider's answer.
    """

    default_retryable = False
    #: what the user should do; appended to every message of this class
    hint = ""

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        code: str | None = None,
        http_status: int | None = None,
        retryable: bool | None = None,
        excerpt: str | None = None,
    ) -> None:
        self.message = message
        self.provider = provider
        self.code = code
        self.http_status = http_status
        self.retryable = self.default_retryable if retryable is None else retryable
        self.excerpt = excerpt
        #: when a send of several requests fails part way (a provider that makes
        #: one request per text): what the requests before it were accepted as
        #: (``partial``), the recipients of the request that failed
        #: (``failed``: unknown if this is a ``DeliveryUnknown``, else not sent)
        #: and those whose request never left (``unsent``)
        self.partial: SendResult | None = None
        self.failed: tuple[str, ...] = ()
        self.unsent: tuple[str, ...] = ()
        super().__init__(self._render())

    def carry_parts(self, other: IletiError) -> Self:
        """Give this error ``other``'s ``partial``, ``failed`` and ``unsent``."""
        self.partial, self.failed, self.unsent = other.partial, other.failed, other.unsent
        return self

    def _render(self) -> str:
        text = self.message
        if self.provider:
            text = f"[{self.provider}] {text}"
        details = []
        if self.code is not None:
            details.append(f"provider code {self.code}")
        if self.http_status is not None:
            details.append(f"HTTP {self.http_status}")
        if details:
            text += f" ({', '.join(details)})"
        if self.hint and self.hint not in text:
            text += f". {self.hint}"
        if self.excerpt:
            text += f" Provider said: {self.excerpt!r}"
        return text

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}({self.message!r}, provider={self.provider!r}, code={self.code!r})"


class ConfigurationError(IletiError):
    """A setting is missing or malformed. The message names the setting."""

    def __init__(self, message: str, *, setting: str | None = None, **kw: object) -> None:
        self.setting = setting
        super().__init__(message, **kw)  # type: ignore[arg-type]


class ValidationError(IletiError):
    """The input is not acceptable; nothing was sent."""


class InvalidRecipient(ValidationError):
    """A phone number is not valid (``number`` and its ``position``, 0-based)."""

    def __init__(
        self, message: str, *, number: str | None = None, position: int | None = None, **kw: object
    ) -> None:
        self.number = number
        self.position = position
        super().__init__(message, **kw)  # type: ignore[arg-type]


class InvalidSender(ValidationError):
    """The sender name breaks the rule, or the provider does not allow it."""


class MessageTooLong(ValidationError):
    """The text needs more parts than the provider allows."""

    def __init__(
        self,
        message: str,
        *,
        parts: int | None = None,
        max_parts: int | None = None,
        **kw: object,
    ) -> None:
        self.parts = parts
        self.max_parts = max_parts
        super().__init__(message, **kw)  # type: ignore[arg-type]


class InvalidContent(ValidationError):
    """The text cannot be sent (empty, characters that cannot travel, ...)."""


class UnknownMessage(ValidationError):
    """The provider has no message with this id on this account (a report of an
    id it never gave, or one sent through another account)."""

    hint = "Check the message id (the message_id of the send) and the account"


class NotSupported(IletiError):
    """The provider has no such capability or option."""

    def __init__(self, message: str, *, capability: str | None = None, **kw: object) -> None:
        self.capability = capability
        super().__init__(message, **kw)  # type: ignore[arg-type]


class ProviderError(IletiError):
    """The provider answered and refused the call. Nothing was sent."""


class AuthenticationError(ProviderError):
    hint = "Check the provider's credentials in your settings"


class InsufficientCredit(ProviderError):
    hint = "Top up the account's credit, then send again"


class AccountInactive(ProviderError):
    hint = "The account is not active; contact the provider"


class Forbidden(ProviderError):
    hint = "The account is not allowed to do this; contact the provider"


class RateLimited(ProviderError):
    default_retryable = True
    hint = "Slow down and try again later"


class Rejected(ProviderError):
    """The provider refused the request as invalid."""


class ProviderUnavailable(ProviderError):
    """The provider reported an error of its own."""

    default_retryable = True


class CircuitOpen(ProviderUnavailable):
    """The provider was skipped: its circuit breaker is open. Nothing was sent."""

    hint = "It is tried again after its cool-down; see Router.health()"


class NoProviderLeft(ProviderError):
    """Every provider refused the message or was skipped; nothing was sent.

    ``errors`` holds each provider's failure, in the order they were tried.
    """

    hint = "Nothing was sent; see each provider's error"

    def __init__(self, message: str, *, errors: Sequence[IletiError] = (), **kw: object) -> None:
        self.errors = tuple(errors)
        super().__init__(message, **kw)  # type: ignore[arg-type]

    @classmethod
    def of(cls, errors: Sequence[IletiError]) -> NoProviderLeft:
        """The error that lists each provider's failure, in the order tried."""
        said = "; ".join(f"{e.provider}: {type(e).__name__}: {e.message}" for e in errors)
        return cls(
            f"no provider took the message ({said})",
            errors=errors,
            retryable=any(e.retryable for e in errors),
        )


class TransportError(IletiError):
    """The network failed before the provider could act on the request.

    For a send this means nothing was sent: it is safe to try again.
    """

    default_retryable = True


class DeliveryUnknown(IletiError):
    """A send failed after its request left: the message may have been sent.

    Do not send again blindly. What can settle it depends on the gateway:

    * ``message_id``: the provider's id, when the answer gave one
      (``Client.report(message_id)``);
    * ``client_ref``: ileti's reference for the send; it reached the gateway
      only when ``reference_sent`` is true (the provider supports client
      references), so only then can the provider's panel find it;
    * ``recipients`` and ``started_at`` (UTC): the numbers and the time to
      look for in the provider's panel or in a later report.
    """

    def __init__(
        self,
        message: str,
        *,
        client_ref: str | None = None,
        reference_sent: bool = True,
        recipients: tuple[str, ...] = (),
        started_at: datetime | None = None,
        message_id: str | None = None,
        **kw: object,
    ) -> None:
        self.reason = message
        self.client_ref = client_ref
        self.reference_sent = reference_sent
        self.recipients = tuple(recipients)
        self.started_at = started_at
        self.message_id = message_id
        if client_ref:
            message = f"{message} (client reference {client_ref})"
        self.hint = self._advice()
        super().__init__(message, **kw)  # type: ignore[arg-type]

    def _advice(self) -> str:
        how = []
        if self.message_id:
            how.append(f"Client.report({self.message_id!r})")
        if self.client_ref and self.reference_sent:
            how.append(f"the provider's panel, by client reference {self.client_ref}")
        else:
            what = "the time and the numbers"
            if self.started_at is not None:
                what = f"the time ({self.started_at:%Y-%m-%d %H:%M:%S} UTC) and the numbers"
            how.append(f"the provider's panel or a later report, by {what}")
        return "The message may have been sent: do not resend blindly; check with " + " or ".join(
            how
        )

    def with_send(
        self,
        *,
        reference_sent: bool,
        recipients: tuple[str, ...],
        started_at: datetime,
    ) -> DeliveryUnknown:
        """The same failure, with what the send was (filled in by the client)."""
        return DeliveryUnknown(
            self.reason,
            client_ref=self.client_ref,
            reference_sent=reference_sent,
            recipients=recipients or self.recipients,
            started_at=self.started_at or started_at,
            message_id=self.message_id,
            provider=self.provider,
            code=self.code,
            http_status=self.http_status,
            retryable=self.retryable,
            excerpt=self.excerpt,
        ).carry_parts(self)


class MalformedResponse(IletiError):
    """The provider's answer could not be read (not the documented format)."""
