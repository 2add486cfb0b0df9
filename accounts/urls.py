from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import views
from accounts.middleware import second_factor_not_required

app_name = "accounts"

urlpatterns = [
    path("verify/", views.verify, name="verify"),
    path("enrol/", views.enrol, name="enrol"),
    path("recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("reauth/", views.reauth, name="reauth"),
    path("sessions/", views.sessions, name="sessions"),
    path("lockouts/", views.lockouts, name="lockouts"),
]

# Django's own password reset, under their usual names (its views reverse them).
password_reset_urlpatterns = [
    path(
        "accounts/password-reset/",
        auth_views.PasswordResetView.as_view(
            extra_email_context={"base_url": settings.PUBLIC_BASE_URL.rstrip("/")}
        ),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

logout_view = second_factor_not_required(
    auth_views.LogoutView.as_view(next_page=reverse_lazy("login"))
)
