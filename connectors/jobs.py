"""Timed work for the worker (manage.py run_worker); nothing to do until a platform is set up."""

from connectors.inbound import province_questions_expire
from connectors.models import PlatformAccount
from connectors.outbound import platform_replies_send_due
from connectors.zalo_tokens import zalo_tokens_refresh_due


def send_due_platform_replies(*, now) -> int:
    """Replies a platform could not take yet, once their next attempt is due."""
    return platform_replies_send_due(at=now)


def refresh_zalo_tokens(*, now) -> int:
    """Zalo access tokens about to expire, one refresher at a time."""
    return zalo_tokens_refresh_due(at=now)


def route_unanswered_province_questions(*, now) -> int:
    """A national account's young people who did not name a province: central takes them."""
    if not PlatformAccount.objects.filter(hotline__isnull=True).exists():
        return 0
    return province_questions_expire(at=now)


JOBS = [refresh_zalo_tokens, send_due_platform_replies, route_unanswered_province_questions]
