"""ileti: send SMS through many gateways behind one API.

``import ileti`` is cheap: the transport (urllib3), phone numbers
(phonenumbers), settings (cattrs) and every plugin load on first use.
"""

from __future__ import annotations

import importlib

# not ``from typing import TYPE_CHECKING``: typing (and the re, functools and
# collections it pulls in) would double the cost of ``import ileti``
TYPE_CHECKING = False

__version__ = "0.1.0"

# public name -> module that defines it; resolved on first attribute access
_EXPORTS: dict[str, str] = {
    "AsyncClient": "ileti.async_client",
    "AsyncRouter": "ileti.async_client",
    "Backoff": "ileti.waiting",
    "Client": "ileti.client",
    "Router": "ileti.routing",
    "Settle": "ileti.routing",
    "Campaign": "ileti.campaign",
    "CampaignStatus": "ileti.campaign",
    "CostPreview": "ileti.client",
    "Timeout": "ileti.http",
    "RetryPolicy": "ileti.http",
    "Secret": "ileti.settings",
    "ProviderInfo": "ileti.plugin",
    "available_providers": "ileti.host",
    "segment": "ileti.text",
    "fold_turkish": "ileti.text",
    "Segmentation": "ileti.text",
    "TextProfile": "ileti.text",
    **dict.fromkeys(
        (
            "Balance",
            "BalanceUnit",
            "Batch",
            "BatchItem",
            "DeliveryReport",
            "DeliveryState",
            "Message",
            "PanelLogin",
            "RecipientReport",
            "RecipientResult",
            "SendResult",
            "SentPackage",
            "Sender",
            "SenderState",
        ),
        "ileti.models",
    ),
    **dict.fromkeys(
        (
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
        ),
        "ileti.errors",
    ),
}

__all__ = [
    "AccountInactive",
    "AsyncClient",
    "AsyncRouter",
    "AuthenticationError",
    "Backoff",
    "Balance",
    "BalanceUnit",
    "Batch",
    "BatchItem",
    "Campaign",
    "CampaignStatus",
    "CircuitOpen",
    "Client",
    "ConfigurationError",
    "CostPreview",
    "DeliveryReport",
    "DeliveryState",
    "DeliveryUnknown",
    "Forbidden",
    "IletiError",
    "InsufficientCredit",
    "InvalidContent",
    "InvalidRecipient",
    "InvalidSender",
    "MalformedResponse",
    "Message",
    "MessageTooLong",
    "NoProviderLeft",
    "NotSupported",
    "PanelLogin",
    "ProviderError",
    "ProviderInfo",
    "ProviderUnavailable",
    "RateLimited",
    "RecipientReport",
    "RecipientResult",
    "Rejected",
    "RetryPolicy",
    "Router",
    "Secret",
    "Segmentation",
    "SendResult",
    "Sender",
    "SenderState",
    "SentPackage",
    "Settle",
    "TextProfile",
    "Timeout",
    "TransportError",
    "UnknownMessage",
    "ValidationError",
    "__version__",
    "available_providers",
    "fold_turkish",
    "segment",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ileti' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from typing import Any

    from ileti.async_client import AsyncClient, AsyncRouter
    from ileti.campaign import Campaign, CampaignStatus
    from ileti.client import Client, CostPreview
    from ileti.errors import (
        AccountInactive,
        AuthenticationError,
        CircuitOpen,
        ConfigurationError,
        DeliveryUnknown,
        Forbidden,
        IletiError,
        InsufficientCredit,
        InvalidContent,
        InvalidRecipient,
        InvalidSender,
        MalformedResponse,
        MessageTooLong,
        NoProviderLeft,
        NotSupported,
        ProviderError,
        ProviderUnavailable,
        RateLimited,
        Rejected,
        TransportError,
        UnknownMessage,
        ValidationError,
    )
    from ileti.host import available_providers
    from ileti.http import RetryPolicy, Timeout
    from ileti.models import (
        Balance,
        BalanceUnit,
        Batch,
        BatchItem,
        DeliveryReport,
        DeliveryState,
        Message,
        RecipientReport,
        RecipientResult,
        Sender,
        SenderState,
        SendResult,
    )
    from ileti.plugin import ProviderInfo
    from ileti.routing import Router, Settle
    from ileti.settings import Secret
    from ileti.text import Segmentation, TextProfile, fold_turkish, segment
    from ileti.waiting import Backoff
