from __future__ import annotations

from django.urls import path
from shop import views

urlpatterns = [
    path("orders/<int:order_id>/shipped", views.order_shipped),
    path("orders/<int:order_id>/shipped-async", views.order_shipped_async),
]
