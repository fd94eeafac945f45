from __future__ import annotations

app_name = "phone"
urlpatterns: list = []
