"""A contact record for every conversation that ended before contact records existed.

Their type, categories and outcome were never asked, so they stay empty ("not
recorded") and count as wrapped up: no operator is asked today about a chat of
last month. Abandoned ones are what they are.
"""

from django.db import migrations


def backfill(apps, schema_editor):
    Conversation = apps.get_model("helpline", "Conversation")
    ContactRecord = apps.get_model("helpline", "ContactRecord")
    done = set(ContactRecord.objects.values_list("conversation_id", flat=True))
    records = []
    closed = Conversation.objects.filter(state__in=["ended", "abandoned"]).exclude(pk__in=done)
    for conversation in closed.iterator():
        ended = conversation.ended_at or conversation.created_at
        answered = conversation.answered_at
        records.append(
            ContactRecord(
                conversation_id=conversation.pk,
                channel=conversation.channel,
                hotline_id=conversation.hotline_id,
                province_code=conversation.province_code,
                age_group=conversation.age_group,
                language=conversation.language,
                queued_at=conversation.created_at,
                answered_at=answered,
                ended_at=ended,
                waited_seconds=int((answered - conversation.created_at).total_seconds())
                if answered
                else None,
                handled_seconds=int((ended - answered).total_seconds()) if answered else None,
                operator_id=conversation.operator_id,
                risk=conversation.risk,
                transfer_count=conversation.transfer_count,
                case_id=conversation.case_id,
                contact_type="abandoned" if conversation.state == "abandoned" else "",
                outcome="none" if conversation.state == "abandoned" else "",
                filled_by_system=True,
                wrapped_up_at=ended,
            )
        )
        if len(records) >= 500:
            ContactRecord.objects.bulk_create(records)
            records = []
    ContactRecord.objects.bulk_create(records)


class Migration(migrations.Migration):
    dependencies = [("helpline", "0010_contact_records")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
