"""``ileti panel``: a link that opens the provider's web panel without the password."""

from __future__ import annotations

import argparse
import sys

from ileti.cli import COMMANDS
from ileti.cli import _common as common

TYPE_CHECKING = False  # not typing's: importing typing costs ``ileti --help`` 4 ms
if TYPE_CHECKING:
    from typing import Any


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "panel",
        help=COMMANDS["panel"],
        description="Ask the provider for a link that opens the account's web panel without "
        "the password (Modexi: valid for 3 minutes, from this machine's IP address) and print "
        "it. The link is a credential while it lasts: it is printed because you asked, and "
        "never logged.",
    )
    common.add_provider_option(p)
    common.add_json_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with common.make_client(args) as client:
        login = client.panel_login()
    expires = login.expires_at.isoformat() if login.expires_at else None
    if args.json:
        common.print_json(
            {
                "provider": login.provider,
                "url": login.url.reveal(),
                "expires_at": expires,
                "note": login.note,
            }
        )
        return 0
    print(login.url.reveal())
    until = f" until {expires}" if expires else ""
    note = f" ({login.note})" if login.note else ""
    print(
        f"{login.provider}: opens the web panel without the password{until}{note}", file=sys.stderr
    )
    return 0
