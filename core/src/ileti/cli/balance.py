"""``ileti balance``: the account's balance."""

from __future__ import annotations

import argparse

from ileti.cli import COMMANDS
from ileti.cli import _common as common

TYPE_CHECKING = False  # not typing's: importing typing costs ``ileti --help`` 4 ms
if TYPE_CHECKING:
    from typing import Any

    from ileti.models import Balance


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "balance", help=COMMANDS["balance"], description="Show the account's balance."
    )
    common.add_provider_option(p)
    common.add_json_option(p)
    p.set_defaults(func=run)


def describe(balance: Balance) -> str:
    """``"98 credits"``, ``"12.50 TRY"``, ``"postpaid (no limit to show)"``."""
    from ileti.models import BalanceUnit

    if balance.postpaid or balance.amount is None:
        text = "postpaid (no limit to show)"
    elif balance.unit is BalanceUnit.CURRENCY:
        text = f"{balance.amount} {balance.currency or '(currency)'}"
    else:
        text = f"{balance.amount} credits"
    if balance.sms_credits is not None and balance.unit is not BalanceUnit.CREDITS:
        text += f" ({balance.sms_credits} SMS credits)"
    return text


def run(args: argparse.Namespace) -> int:
    with common.make_client(args) as client:
        balance = client.balance()
    if args.json:
        common.print_json(balance)
    else:
        print(f"{balance.provider}: {describe(balance)}")
    return 0
