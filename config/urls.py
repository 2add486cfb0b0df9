from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import TemplateView

from helpline import views as helpline_views

admin.site.site_header = "Tổng đài hỗ trợ và ứng cứu thanh thiếu nhi trên không gian mạng"

urlpatterns = [
    path("", helpline_views.home, name="home"),
    path("healthz", helpline_views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/no-access/",
        TemplateView.as_view(template_name="registration/no_access.html"),
        name="logout_page",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("cases/", include("cases.urls")),
    path("liaison/", include("escalation.urls")),
    path("escalations/", include("escalation.hotline_urls")),
    path("admin/", admin.site.urls),
    path("", include("telephony.urls")),
]
