"""``ileti config show``: a provider's resolved settings and where each came from."""

from __future__ import annotations

import argparse
import sys

from ileti.cli import COMMANDS, EXIT_USAGE
from ileti.cli import _common as common

TYPE_CHECKING = False  # not typing's: importing typing costs ``ileti --help`` 4 ms
if TYPE_CHECKING:
    from typing import Any


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "config",
        help=COMMANDS["config"],
        description="Inspect settings. Settings come from --set FIELD=VALUE, then the "
        "environment (ILETI_<PROVIDER>_<FIELD>), then the TOML file (--config, else "
        "$ILETI_CONFIG or ~/.config/ileti/config.toml, table [providers.<provider>]), then "
        "the field's default.",
    )
    actions = p.add_subparsers(dest="config_action", metavar="ACTION")
    show: argparse.ArgumentParser = actions.add_parser(
        "show",
        help="the resolved settings and where each came from, secrets masked",
        description="Show the settings a command would use for PROVIDER, where each value "
        "came from, and the timeouts; secrets are masked.",
    )
    common.add_provider_option(show)
    common.add_json_option(show)
    show.set_defaults(func=run_show)

    def no_action(args: argparse.Namespace) -> int:
        p.print_help(sys.stderr)
        return EXIT_USAGE

    p.set_defaults(func=no_action)


def _fields(provider: str, settings_type: type[Any]) -> list[tuple[str, str, str]]:
    """(name, environment variable, note) for each setting of a provider."""
    import attrs

    from ileti.settings import env_var

    out = []
    for field in attrs.fields(settings_type):
        secret = "Secret" in str(field.type)
        if field.default is attrs.NOTHING:
            note = "required"
        elif secret:
            note = "has a default"
        else:
            note = f"default {field.default!r}"
        if secret:
            note += ", secret"
        out.append((field.name, env_var(provider, field.name), note))
    return out


def run_show(args: argparse.Namespace) -> int:
    from ileti.errors import ConfigurationError
    from ileti.host import load_provider
    from ileti.settings import default_config_path, env_var

    loaded = load_provider(args.provider)
    explicit = common.config_file(args)
    path = explicit or default_config_path()
    try:
        client = common.make_client(args)
    except ConfigurationError:
        print(f"Settings of {loaded.name}:", file=sys.stderr)
        rows = _fields(loaded.name, loaded.info.settings_type)
        common.print_lines(
            common.table(("SETTING", "ENVIRONMENT VARIABLE", "NOTE"), rows, "  "), sys.stderr
        )
        raise
    from ileti.http import Timeout

    resolved = client.resolved_settings
    timeout = Timeout.of(common.timeout(args))  # what the client's transport will use
    settings = {
        name: {
            "value": value,
            "source": resolved.sources.get(name, "default"),
            "env": env_var(loaded.name, name),
        }
        for name, value in resolved.masked().items()
    }
    given = [
        f for f, v in (("--timeout", args.timeout), ("--total-timeout", args.total_timeout)) if v
    ]
    timeout_source = " and ".join(given) or "default"
    if args.json:
        common.print_json(
            {
                "provider": loaded.name,
                "config_file": str(path),
                "config_file_exists": path.is_file(),
                "settings": settings,
                "timeout": {
                    "connect": timeout.connect,
                    "read": timeout.read,
                    "total": timeout.deadline,
                    "source": timeout_source,
                },
            }
        )
        return 0
    state = "given with --config" if explicit else ("found" if path.is_file() else "not found")
    print(f"{loaded.name} ({loaded.info.title})")
    print(f"config file: {path} ({state})")
    common.print_lines(
        common.table(
            ("SETTING", "VALUE", "SOURCE"),
            [(k, v["value"], v["source"]) for k, v in settings.items()],
        )
    )
    print(
        f"timeout: connect {timeout.connect:g}s, read {timeout.read:g}s, "
        f"total {timeout.deadline:g}s per request ({timeout_source})"
    )
    return 0
