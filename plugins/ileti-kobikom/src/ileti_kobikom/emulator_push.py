"""The emulated gateway's pushes: each state change, POSTed to the send's ``pushurl``.

What Kobikom pushes is not documented (see :mod:`ileti_kobikom.push`); the
emulator pushes what the plugin infers: the pull's own ``<DeliveryReport>``
document as the bare body (``Content-Type: application/xml``), one POST per
push URL with every report that changed since the last push. A push that
fails is tried again at the next call. Only loopback URLs are pushed to: an
emulator never calls out of the machine.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import xmltodict

from ileti.plugin import is_loopback

if TYPE_CHECKING:
    from ileti_kobikom.emulator import EmulatedSms, KobikomEmulator

__all__ = ["PUSH_TIMEOUT", "push_reports"]

log = logging.getLogger("ileti.kobikom.emulator")

#: seconds a push may take before it is given up (and tried again next time)
PUSH_TIMEOUT = 5.0


def push_reports(emulator: KobikomEmulator) -> int:
    """Push what changed; return how many reports the receivers accepted."""
    from ileti_kobikom.emulator import report_entry

    now = emulator.clock.now()
    due: dict[str, list[tuple[EmulatedSms, str]]] = {}
    with emulator.lock:
        for sms in emulator.sms.values():
            if sms.push_url is None:
                continue
            status = sms.status(now)
            if status is not None and status != sms.pushed:
                due.setdefault(sms.push_url, []).append((sms, status))
    pushed = 0
    for url, changes in due.items():
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not is_loopback(parts.hostname or ""):
            log.warning(
                "the emulator pushes only to http(s) on loopback, not to %s://%s",
                parts.scheme,
                parts.hostname,
            )
            continue
        document = xmltodict.unparse(
            {"DeliveryReport": {"message": [report_entry(s, st, now) for s, st in changes]}},
            full_document=True,
            short_empty_elements=True,
        )
        request = urllib.request.Request(  # noqa: S310 - loopback http(s) only, checked above
            url,
            data=document.encode("utf-8"),
            method="POST",
            headers={"Content-Type": "application/xml; charset=utf-8"},
        )
        try:
            with urllib.request.urlopen(request, timeout=PUSH_TIMEOUT) as answer:  # noqa: S310
                ok = 200 <= answer.status < 300
        except (urllib.error.URLError, OSError) as exc:
            log.warning("push of %d report(s) failed: %s", len(changes), exc)
            continue
        if not ok:
            continue
        with emulator.lock:
            for sms, status in changes:
                sms.pushed = status
        pushed += len(changes)
    return pushed
