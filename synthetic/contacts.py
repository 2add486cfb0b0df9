"""Synthetic contacts: a conversation and its contact record each, as the helpline writes them.

A contact is drawn first (`contact_draw`) and written later (`contact_write`),
once the day's cases are numbered, so that its record and its conversation can
point at the case it opened.
"""

import datetime
import uuid

from django.conf import settings
from django.utils import timezone

from helpline.models import ContactRecord, Conversation, SurveyResponse
from synthetic import distributions as shape


def hotline_draw(history) -> int:
    """A hotline's id: central for its share, else a province by its population."""
    if history.central_id is not None and history.rng.random() < shape.CENTRAL_SHARE:
        return history.central_id
    return history.provinces.draw(history.rng)


def overflow_at(history, hotline_id: int, queued_at: datetime.datetime):
    """When a provincial conversation showed in the central queue too, as the helpline sets it."""
    if hotline_id == history.central_id:
        return None
    return queued_at + datetime.timedelta(seconds=settings.CENTRAL_OVERFLOW_SECONDS)


def _durations(rng, contact_type: str, ended_at: datetime.datetime):
    """(queued_at, answered_at, waited, handled) of a contact that ended at ended_at."""
    if contact_type in shape.UNANSWERED_TYPES:
        left_after = shape.lognormal_seconds(
            rng, median=shape.ABANDONED_MEDIAN, sigma=shape.ABANDONED_SIGMA, cap=shape.MAX_SECONDS
        )
        return ended_at - datetime.timedelta(seconds=left_after), None, None, None
    waited = shape.lognormal_seconds(
        rng, median=shape.WAITED_MEDIAN, sigma=shape.WAITED_SIGMA, cap=shape.MAX_SECONDS
    )
    handled = shape.lognormal_seconds(
        rng,
        median=shape.HANDLED_MEDIAN[contact_type],
        sigma=shape.HANDLED_SIGMA,
        cap=shape.MAX_SECONDS,
    )
    answered_at = ended_at - datetime.timedelta(seconds=handled)
    return answered_at - datetime.timedelta(seconds=waited), answered_at, waited, handled


def _categories(history, contact_type: str) -> tuple[str, ...]:
    if contact_type == "information":
        return history.categories.draw(history.rng, shape.INFORMATION_AREAS, 1)
    if contact_type in shape.SUBSTANTIVE_TYPES:
        count = shape.CATEGORY_COUNT.draw(history.rng)
        return history.categories.draw(history.rng, shape.AREAS, count)
    return ()


def contact_draw(history, day: datetime.date) -> dict:
    """One contact that ended on this day: its record's columns, its categories and its
    conversation's id. Nothing is written yet."""
    rng = history.rng
    contact_type = shape.CONTACT_TYPES.draw(rng)
    # Out-of-hours contacts (voicemail, a message left) come at night.
    hours = shape.NIGHT_HOURS if contact_type == "out_of_hours" else shape.HOUR_WEIGHTS
    ended_at = history.clock.moment(rng, day, hours)
    hotline_id = hotline_draw(history)
    queued_at, answered_at, waited, handled = _durations(rng, contact_type, ended_at)
    substantive = contact_type in shape.SUBSTANTIVE_TYPES
    risk = shape.RISKS.draw(rng) if contact_type in ("counselling", "referral") else ""
    danger_chance = shape.DANGER_IF_IMMINENT if risk == "imminent" else shape.DANGER_OTHERWISE
    if hotline_id != history.central_id:
        province = history.hotlines[hotline_id].code
    else:
        province = history.province_codes.draw(rng) if rng.random() < 0.8 else ""
    operators = history.staff.operators.get(hotline_id, [])
    return {
        "id": history.loaders[ContactRecord].allocate_id(),
        "conversation_id": uuid.uuid4(),
        "channel": shape.CHANNELS.draw(rng),
        "hotline_id": hotline_id,
        "province_code": province,
        "age_group": shape.AGE_GROUPS.draw(rng) if substantive or rng.random() < 0.3 else "",
        "gender": shape.GENDERS.draw(rng) if substantive else "unknown",
        "language": shape.LANGUAGES.draw(rng),
        "queued_at": queued_at,
        "answered_at": answered_at,
        "ended_at": ended_at,
        "waited_seconds": waited,
        "handled_seconds": handled,
        "operator_id": rng.choice(operators) if answered_at and operators else None,
        "risk": risk,
        "danger": rng.random() < danger_chance,
        "transfer_count": 1 if rng.random() < 0.03 else 0,
        "contact_type": contact_type,
        "categories": _categories(history, contact_type),
        "case_id": None,
        "escalated": False,
    }


def _outcome(rng, contact: dict) -> str:
    contact_type = contact["contact_type"]
    if contact["case_id"] is not None:
        return "escalated" if contact["escalated"] else "case"
    if contact_type in ("counselling", "information"):
        return "resolved" if rng.random() < 0.8 else "follow_up"
    if contact_type == "referral":
        return "follow_up"
    # A contact nobody wrapped up has no outcome either.
    return "" if contact_type == "" else "none"


def _wrap_up(rng, contact: dict) -> dict:
    """Who filled in the contact and when: the system where it knows, else the operator."""
    contact_type, ended_at = contact["contact_type"], contact["ended_at"]
    by_system = contact_type == "abandoned" or (
        contact_type == "silent" and contact["channel"] != "voice"
    )
    if by_system:
        return {"wrapped_up_by_id": None, "wrapped_up_at": ended_at, "filled_by_system": True}
    if contact_type == "":
        return {"wrapped_up_by_id": None, "wrapped_up_at": None, "filled_by_system": False}
    return {
        "wrapped_up_by_id": contact["operator_id"],
        "wrapped_up_at": ended_at + datetime.timedelta(seconds=rng.randrange(5, 90)),
        "filled_by_system": False,
    }


def _conversation_row(history, contact: dict, survey: bool) -> dict:
    return {
        "id": contact["conversation_id"],
        "channel": contact["channel"],
        "hotline_id": contact["hotline_id"],
        "state": "ended" if contact["answered_at"] else "abandoned",
        "operator_id": contact["operator_id"],
        "case_id": contact["case_id"],
        "risk": contact["risk"],
        "province_code": contact["province_code"],
        "language": contact["language"],
        "age_group": contact["age_group"],
        "overflow_at": overflow_at(history, contact["hotline_id"], contact["queued_at"]),
        "transfer_count": contact["transfer_count"],
        "danger_at": contact["queued_at"] if contact["danger"] else None,
        "survey_answered": survey,
        "created_at": contact["queued_at"],
        "queued_at": contact["queued_at"],
        "answered_at": contact["answered_at"],
        "ended_at": contact["ended_at"],
    }


RECORD_COLUMNS = (
    "id",
    "conversation_id",
    "channel",
    "hotline_id",
    "province_code",
    "age_group",
    "gender",
    "language",
    "queued_at",
    "answered_at",
    "ended_at",
    "waited_seconds",
    "handled_seconds",
    "operator_id",
    "risk",
    "danger",
    "transfer_count",
    "contact_type",
    "case_id",
)


def contact_write(history, contact: dict) -> None:
    """Write the contact's conversation, record, categories and (sometimes) survey answers."""
    rng = history.rng
    survey = (
        contact["answered_at"] is not None
        and contact["channel"] == "webchat"
        and rng.random() < shape.SURVEY_SHARE
    )
    history.loaders[Conversation].add(_conversation_row(history, contact, survey))
    history.loaders[ContactRecord].add(
        {
            **{column: contact[column] for column in RECORD_COLUMNS},
            "outcome": _outcome(rng, contact),
            **_wrap_up(rng, contact),
        }
    )
    links = history.loaders[ContactRecord.categories.through]
    for code in contact["categories"]:
        links.add(
            {
                "id": links.allocate_id(),
                "contactrecord_id": contact["id"],
                "category_id": history.categories.ids[code],
            }
        )
    if survey:
        surveys = history.loaders[SurveyResponse]
        surveys.add(
            {
                "id": surveys.allocate_id(),
                "hotline_id": contact["hotline_id"],
                "channel": "webchat",
                "submitted_on": timezone.localdate(contact["ended_at"]),
                "felt_heard": shape.SURVEY_ANSWERS.draw(rng),
                "got_help": shape.SURVEY_ANSWERS.draw(rng),
                "would_return": shape.SURVEY_ANSWERS.draw(rng),
            }
        )


def queued_now(history, count: int) -> None:
    """Conversations waiting in the queues at this moment (for the console's queue read)."""
    rng = history.rng
    for _index in range(count):
        hotline_id = hotline_draw(history)
        queued_at = history.now - datetime.timedelta(
            seconds=shape.lognormal_seconds(rng, median=60, sigma=1.0, cap=1800)
        )
        central = hotline_id == history.central_id
        history.loaders[Conversation].add(
            {
                "id": uuid.uuid4(),
                "channel": shape.CHANNELS.draw(rng),
                "hotline_id": hotline_id,
                "state": "queued",
                "risk": rng.choice(("", "", "", "", "medium", "high")),
                "province_code": "" if central else history.hotlines[hotline_id].code,
                "language": "vi",
                "age_group": shape.AGE_GROUPS.draw(rng),
                "overflow_at": overflow_at(history, hotline_id, queued_at),
                "youth_seen_at": history.now,
                "created_at": queued_at,
                "queued_at": queued_at,
            }
        )
