from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from django.views.i18n import set_language

from accounts import urls as accounts_urls
from connectors import embed as connectors_embed
from harms.youth_uploads import chat_upload
from helpline import metrics as helpline_metrics
from helpline import pages as helpline_pages
from helpline import staff_views
from helpline import views as helpline_views
from inspection import views as inspection_views

admin.site.site_header = _("Tổng đài hỗ trợ và ứng cứu thanh thiếu nhi trên không gian mạng")

urlpatterns = [
    path("", helpline_views.home, name="home"),
    path("healthz", helpline_views.healthz, name="healthz"),
    path("readyz", helpline_views.readyz, name="readyz"),
    # Off unless METRICS_ENABLED; loopback or METRICS_TOKEN only; nginx does not proxy it.
    path("metrics", helpline_metrics.metrics_view, name="metrics"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", accounts_urls.logout_view, name="logout"),
    *accounts_urls.password_reset_urlpatterns,
    path("accounts/", include("accounts.urls")),
    path(
        "accounts/no-access/",
        TemplateView.as_view(template_name="registration/no_access.html"),
        name="logout_page",
    ),
    # Switching language is for everyone, the young person on /chat/ and the login page included.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("chat/", helpline_pages.chat, name="chat"),
    path("chat/upload/", chat_upload, name="chat_upload"),
    # The youth chat inside a frame on an allowed site (static/widget/helpline-widget.js).
    path("chat/embed/", connectors_embed.chat_embed, name="chat_embed"),
    path("console/", helpline_pages.console, name="console"),
    path(
        "cases/<int:case_id>/transcript/",
        helpline_views.case_transcript,
        name="case_transcript",
    ),
    path("canned/", helpline_views.canned_list, name="canned_list"),
    path("hotline/settings/", helpline_views.hotline_settings, name="hotline_settings"),
    path("staff/requests/", staff_views.staff_requests, name="staff_requests"),
    path("cases/", include("cases.urls")),
    path("liaison/", include("escalation.urls")),
    path("escalations/", include("escalation.hotline_urls")),
    path("board/", include("reports.urls_board")),
    path("reports/incidents/", include("reports.urls_incidents")),
    path("help/", include("handbook.urls")),
    path("reports/", include("reports.urls")),
    path("harms/", include("harms.urls")),
    path("inspection/", include("inspection.urls")),
    path("break-glass/", inspection_views.break_glass, name="break_glass"),
    path("connectors/", include("connectors.urls")),
    path("", include("retention.urls")),
    path("admin/", admin.site.urls),
    path("", include("telephony.urls")),
]
