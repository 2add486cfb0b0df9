"""The platforms' webhooks, and the console's "send as a human agent".

Webhooks check the platform's signature first. Without a platform's secrets
(or without CONNECTOR_ENCRYPTION_KEY) every request to its webhook answers 403
and nothing is stored: fail closed. They answer fast: they write rows and never
call a platform. A duplicate delivery gets a 200 and changes nothing.
"""

import logging

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse, HttpResponseForbidden, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from connectors import messenger, zalo
from connectors.inbound import platform_message_receive
from connectors.outbound import platform_reply_human_agent
from connectors.selectors import account_for_event
from helpline.access import hotline_staff_required
from helpline.conversations import ConversationError

logger = logging.getLogger(__name__)


def _forbidden() -> HttpResponse:
    return HttpResponseForbidden("forbidden\n", content_type="text/plain")


def _receive(module, data: dict, *, at) -> None:
    for event in module.inbound_events(data, at=at):
        account = account_for_event(platform=module.PLATFORM, external_id=event.account_id)
        if account is None:
            # Signed, but for an account the helpline does not answer on: nothing to store.
            logger.warning("%s event for an unknown account", module.PLATFORM)
            continue
        try:
            platform_message_receive(account=account, event=event)
        except ConversationError as error:
            # A message the chat refuses (too long...) would be refused again on every retry.
            logger.warning("%s message refused: %s", module.PLATFORM, error.code)


@login_not_required
@csrf_exempt
@require_POST
@never_cache
def zalo_webhook(request):
    at = timezone.now()
    if not zalo.ready():
        return _forbidden()
    data = zalo.webhook_json(request.body)
    if data is None or not zalo.signature_valid(request, data, at=at):
        return _forbidden()
    _receive(zalo, data, at=at)
    return HttpResponse(status=200)


@login_not_required
@csrf_exempt
@require_http_methods(["GET", "POST"])
@never_cache
def messenger_webhook(request):
    at = timezone.now()
    if not messenger.ready():
        return _forbidden()
    if request.method == "GET":
        challenge = messenger.subscription_answer(request.GET)
        if challenge is None:
            return _forbidden()
        return HttpResponse(challenge, content_type="text/plain")
    data = messenger.webhook_json(request.body)
    if data is None or not messenger.signature_valid(request, data, at=at):
        return _forbidden()
    _receive(messenger, data, at=at)
    return HttpResponse(status=200)


@require_POST
@hotline_staff_required
def reply_human_agent(request, reply_id: int):
    """The console's offer after Messenger's 24-hour window: send this reply tagged HUMAN_AGENT."""
    try:
        reply = platform_reply_human_agent(user=request.user, reply_id=reply_id)
    except Http404:
        return JsonResponse({"error": "not_found"}, status=404)
    except ConversationError as error:
        return JsonResponse({"error": error.code, "detail": error.detail}, status=409)
    return JsonResponse({"reply": reply.pk, "status": reply.status, "tag": reply.tag})
