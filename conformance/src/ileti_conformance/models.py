"""Shape checks for what a plugin returns: the domain models with the right types."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from ileti.models import (
    Balance,
    BalanceUnit,
    DeliveryReport,
    DeliveryState,
    RecipientReport,
    RecipientResult,
    Sender,
    SenderState,
    SendResult,
)

__all__ = ["model_problems"]

_E164 = re.compile(r"\+[1-9][0-9]{1,14}")


def _typed(
    problems: list[str], where: str, value: Any, *types: type, optional: bool = False
) -> None:
    if value is None and optional:
        return
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        names = " or ".join(t.__name__ for t in types) + (" or None" if optional else "")
        problems.append(f"{where} is {type(value).__name__} {value!r:.60}, expected {names}")


def _number(problems: list[str], where: str, value: Any) -> None:
    _typed(problems, where, value, str)
    if isinstance(value, str) and not _E164.fullmatch(value):
        problems.append(f"{where} {value!r} is not E.164 (+905321112233)")


def _send_result(result: SendResult, problems: list[str]) -> None:
    _typed(problems, "SendResult.provider", result.provider, str)
    _typed(problems, "SendResult.message_id", result.message_id, str, optional=True)
    _typed(problems, "SendResult.client_ref", result.client_ref, str, optional=True)
    _typed(problems, "SendResult.parts", result.parts, int, optional=True)
    if isinstance(result.parts, int) and result.parts < 1:
        problems.append(f"SendResult.parts is {result.parts}, expected at least 1")
    _typed(problems, "SendResult.credits", result.credits, Decimal, optional=True)
    _typed(problems, "SendResult.recipients", result.recipients, tuple)
    rows: Any = result.recipients if isinstance(result.recipients, tuple) else ()
    for i, r in enumerate(rows):
        where = f"SendResult.recipients[{i}]"
        if not isinstance(r, RecipientResult):
            problems.append(f"{where} is {type(r).__name__}, expected RecipientResult")
            continue
        _number(problems, f"{where}.number", r.number)
        _typed(problems, f"{where}.accepted", r.accepted, bool)
        _typed(problems, f"{where}.message_id", r.message_id, str, optional=True)
        _typed(problems, f"{where}.reason", r.reason, str, optional=True)
        _typed(problems, f"{where}.raw_code", r.raw_code, str, optional=True)


def _report(report: DeliveryReport, problems: list[str]) -> None:
    _typed(problems, "DeliveryReport.provider", report.provider, str)
    _typed(problems, "DeliveryReport.message_id", report.message_id, str)
    _typed(
        problems, "DeliveryReport.package_state", report.package_state, DeliveryState, optional=True
    )
    _typed(
        problems, "DeliveryReport.raw_package_state", report.raw_package_state, str, optional=True
    )
    _typed(problems, "DeliveryReport.recipients", report.recipients, tuple)
    rows: Any = report.recipients if isinstance(report.recipients, tuple) else ()
    for i, r in enumerate(rows):
        where = f"DeliveryReport.recipients[{i}]"
        if not isinstance(r, RecipientReport):
            problems.append(f"{where} is {type(r).__name__}, expected RecipientReport")
            continue
        _number(problems, f"{where}.number", r.number)
        _typed(problems, f"{where}.state", r.state, DeliveryState)
        _typed(problems, f"{where}.raw_state", r.raw_state, str)
        _typed(problems, f"{where}.time", r.time, datetime, optional=True)
        if isinstance(r.time, datetime) and r.time.tzinfo is None:
            problems.append(f"{where}.time is a naive datetime; report times must be aware")
        _typed(problems, f"{where}.message_id", r.message_id, str, optional=True)
        _typed(problems, f"{where}.error", r.error, str, optional=True)


def _balance(balance: Balance, problems: list[str]) -> None:
    _typed(problems, "Balance.provider", balance.provider, str)
    _typed(problems, "Balance.amount", balance.amount, Decimal, optional=True)
    _typed(problems, "Balance.unit", balance.unit, BalanceUnit)
    _typed(problems, "Balance.currency", balance.currency, str, optional=True)
    _typed(problems, "Balance.postpaid", balance.postpaid, bool)
    _typed(problems, "Balance.sms_credits", balance.sms_credits, Decimal, optional=True)
    if balance.amount is None and not balance.postpaid:
        problems.append("Balance.amount is None but the account is not postpaid")


def _senders(senders: Any, problems: list[str]) -> None:
    _typed(problems, "senders()", senders, list)
    for i, s in enumerate(senders if isinstance(senders, list) else ()):
        if not isinstance(s, Sender):
            problems.append(f"senders()[{i}] is {type(s).__name__}, expected Sender")
            continue
        _typed(problems, f"senders()[{i}].name", s.name, str)
        if isinstance(s.name, str) and not s.name.strip():
            problems.append(f"senders()[{i}].name is empty")
        _typed(problems, f"senders()[{i}].state", s.state, SenderState)


_EXPECTED: dict[str, type] = {
    "send": SendResult,
    "send_multi": SendResult,
    "query_report": DeliveryReport,
    "balance": Balance,
    "senders": list,
}


def model_problems(capability: str, value: Any) -> list[str]:
    """What is wrong with the value a capability returned (empty: nothing)."""
    problems: list[str] = []
    expected = _EXPECTED[capability]
    if not isinstance(value, expected):
        return [f"{capability} returned {type(value).__name__}, expected {expected.__name__}"]
    if isinstance(value, SendResult):
        _send_result(value, problems)
    elif isinstance(value, DeliveryReport):
        _report(value, problems)
    elif isinstance(value, Balance):
        _balance(value, problems)
    else:
        _senders(value, problems)
    return problems
