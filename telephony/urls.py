from django.urls import path

from telephony import staff_callbacks, views, webhooks, youth_callbacks

app_name = "telephony"

urlpatterns = [
    path("twilio/voice/", webhooks.voice_incoming, name="voice_incoming"),
    path("twilio/voice/gather/", webhooks.voice_gather, name="voice_gather"),
    path("twilio/voice/wait/", webhooks.voice_wait, name="voice_wait"),
    path("twilio/voice/enqueue/", webhooks.voice_enqueue_action, name="voice_enqueue_action"),
    path("twilio/voice/dial/", webhooks.voice_dial_action, name="voice_dial_action"),
    path("twilio/voice/status/", webhooks.voice_status, name="voice_status"),
    path("twilio/voice/voicemail/", webhooks.voicemail, name="voicemail"),
    path("twilio/voice/voicemail/status/", webhooks.voicemail_status, name="voicemail_status"),
    path("twilio/voice/outgoing/", webhooks.voice_outgoing, name="voice_outgoing"),
    path("twilio/sms/", webhooks.sms_incoming, name="sms_incoming"),
    path("twilio/sms/status/", webhooks.sms_status, name="sms_status"),
    path("chat/callback/", youth_callbacks.callback_request, name="callback_request"),
    path("callbacks/", staff_callbacks.callback_list, name="callbacks"),
    path("callbacks/items/", staff_callbacks.callback_items, name="callback_items"),
    path("callbacks/<uuid:callback_id>/", staff_callbacks.callback_detail, name="callback_detail"),
    path(
        "callbacks/<uuid:callback_id>/claim/", staff_callbacks.callback_claim, name="callback_claim"
    ),
    path(
        "callbacks/<uuid:callback_id>/release/",
        staff_callbacks.callback_release,
        name="callback_release",
    ),
    path(
        "callbacks/<uuid:callback_id>/reveal/",
        staff_callbacks.callback_reveal,
        name="callback_reveal",
    ),
    path(
        "callbacks/<uuid:callback_id>/attempt/",
        staff_callbacks.callback_attempt,
        name="callback_attempt",
    ),
    path(
        "callbacks/<uuid:callback_id>/done/", staff_callbacks.callback_finish, name="callback_done"
    ),
    path(
        "callbacks/<uuid:callback_id>/cancel/",
        staff_callbacks.callback_cancel,
        name="callback_cancel",
    ),
    path("console/voice-token/", views.voice_token, name="voice_token"),
    path("console/phone/<uuid:conversation_id>/", views.phone_masked, name="phone_masked"),
    path("console/phone/<uuid:conversation_id>/reveal/", views.phone_reveal, name="phone_reveal"),
    path("console/phone/<uuid:conversation_id>/state/", views.phone_state, name="phone_state"),
    path(
        "console/calls/<uuid:conversation_id>/reconnect/",
        views.call_reconnect,
        name="call_reconnect",
    ),
]
