from __future__ import annotations

from django.urls import path
from ileti_django import push_view
from shop import reports, views

urlpatterns = [
    path("orders/<int:order_id>/shipped", views.order_shipped),
    path("orders/<int:order_id>/shipped-async", views.order_shipped_async),
    path("sms/push/<str:token>", push_view(reports.on_reports)),
]
