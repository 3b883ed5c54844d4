"""Delivery reports Kobikom pushes to ``pushurl``.

The document names the ``pushurl`` field of a send ("empty means no push")
and nothing else about pushes. **Inferred** (as for the Infobip-legacy API
Kobikom's follows): the gateway POSTs the pull's own document to that URL,
``<DeliveryReport><message id=... status=... sentdate=... donedate=...
gsmerror=.../></DeliveryReport>``, as the bare body or (like a send) as the
form field ``XML=``. Both are read here, with the pull's own parser.

Each pushed report is kept in the report store first (Kobikom tells each
state once: a pushed one is not pulled again), then read as the pull's are.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from ileti.plugin import DeliveryReport, HttpResponse

if TYPE_CHECKING:
    from ileti.plugin import Context, PushRequest, RecipientReport
    from ileti_kobikom.settings import KobikomSettings
    from ileti_kobikom.store import ReportStore

__all__ = ["push_body", "read_push"]

log = logging.getLogger("ileti.kobikom")

NAME = "kobikom"


def push_body(request: PushRequest) -> bytes:
    """The document of a push: the bare body, or its ``XML`` form field."""
    body = request.body.lstrip()
    if body.startswith(b"XML="):
        fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        return fields.get("XML", [""])[0].encode("utf-8")
    if not body and "XML" in request.query:
        return request.query["XML"].encode("utf-8")
    return body


def read_push(
    ctx: Context[KobikomSettings], store: ReportStore, request: PushRequest
) -> list[DeliveryReport]:
    """The pushed reports, kept in the store, grouped by the package they belong to."""
    from ileti_kobikom import wire
    from ileti_kobikom.plugin import _recipient_report

    response = HttpResponse(
        status=200, headers=dict(request.headers), body=push_body(request), provider=NAME
    )
    answer = wire.parse_pull(response)
    if answer.error_code is not None:
        raise response.malformed("the push holds an error code, not a delivery report")
    store.save_reports(answer.reports, pulled_at=ctx.clock())  # before anything else
    if answer.unreadable:
        raise response.malformed(
            f"{answer.unreadable} report(s) in the push could not be read; the readable ones "
            "were kept"
        )
    kept = store.reports([m.id for m in answer.reports])
    packages: dict[str, tuple[Any, list[RecipientReport]]] = {}
    for message in answer.reports:
        package = store.find(message.id)
        if package is None:
            log.warning(
                "a pushed report for message id %s, not sent through this report store "
                "(%s), was kept but has no phone number to report",
                message.id,
                store,
            )
            continue
        entry = packages.setdefault(package.package_id, (package, []))
        now = ctx.clock()
        entry[1].extend(_recipient_report(package, r, kept, now) for r in package.recipients)
    return [
        DeliveryReport(provider=NAME, message_id=package_id, recipients=tuple(rows))
        for package_id, (_package, rows) in packages.items()
    ]
