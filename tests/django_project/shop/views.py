"""The application's code: it names no provider; settings choose it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from ileti_django import get_async_client, get_client

import ileti

View = TypeVar("View", bound=Callable[..., Any])


def api_view(view: View) -> View:
    """POST only, no CSRF token (an API called by other services); typed for mypy."""
    return cast(View, csrf_exempt(require_POST(view)))


def _text(order_id: int) -> str:
    return f"Siparişiniz {order_id} kargoya verildi."


def _answer(result: ileti.SendResult) -> JsonResponse:
    return JsonResponse(
        {"message_id": result.message_id, "accepted": [r.number for r in result.accepted]}
    )


def _refused(error: ileti.IletiError) -> JsonResponse:
    return JsonResponse({"error": error.message}, status=400)


@api_view
def order_shipped(request: HttpRequest, order_id: int) -> HttpResponse:
    try:
        result = get_client().send(request.POST.get("phone", ""), _text(order_id))
    except ileti.ValidationError as error:
        return _refused(error)
    return _answer(result)


@api_view
async def order_shipped_async(request: HttpRequest, order_id: int) -> HttpResponse:
    try:
        result = await get_async_client().send(request.POST.get("phone", ""), _text(order_id))
    except ileti.ValidationError as error:
        return _refused(error)
    return _answer(result)
