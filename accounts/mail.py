"""E-mails about signing in: only a greeting, a link and its expiry, never case content."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import override


def set_password_link(user) -> str:
    """Django's password-reset link for this account, on the site's public address."""
    if not settings.PUBLIC_BASE_URL:
        # A link without the site's address would be no link at all.
        raise ImproperlyConfigured("PUBLIC_BASE_URL must be set to send enrolment links")
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def enrolment_mail_send(*, user) -> None:
    """Send a new member of staff the link to set their password, in Vietnamese."""
    context = {
        "user": user,
        "link": set_password_link(user),
        "valid_hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
    }
    with override(settings.LANGUAGE_CODE):
        subject = render_to_string("registration/enrolment_subject.txt", context).strip()
        body = render_to_string("registration/enrolment_email.txt", context)
    send_mail(subject, body, None, [user.email])
