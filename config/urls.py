from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from inbox.jsi18n import javascript_catalog

urlpatterns = [
    path("admin/", admin.site.urls),
    # set_language: the language switch in the top bar posts here.
    path("i18n/", include("django.conf.urls.i18n")),
    # The translations static/unisono/*.js use, in the language the URL names.
    path("jsi18n/<str:language>/", javascript_catalog, name="javascript-catalog"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # care/: reports, privacy, rating and unsubscribe pages (before the broader prefixes below).
    path("", include("care.urls")),
    path("inbox/", include("inbox.urls")),
    path("supervisor/audit/", include("audit.urls")),
    path("supervisor/", include("resolutions.urls")),
    path("api/playbook/", include("resolutions.api_urls")),
    path("api/audit/", include("audit.api")),
    path("api/", include("inbox.api.urls")),
    path("channels/phone/", include("channels_app.phone.urls")),
    path("channels/x/", include("channels_app.social.urls")),
    path("", include("channels_app.webform.urls")),
]
