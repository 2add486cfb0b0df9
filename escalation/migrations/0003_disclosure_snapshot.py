"""Store with each disclosure record the values it disclosed, and fill them in for existing records.

Until now an agency's page read the ticked facts and the transcript from the
case at read time, so it showed whatever the case held then. The records
written before this migration did not keep what was shown, so it is
reconstructed, with these limitations:

- the facts (categories, risk, age group, gender, province) are the case's
  values at the time of the migration; if they changed after the escalation was
  sent, the agency is now shown the changed value as the one disclosed;
- the transcript is, for each conversation linked to the case now, the messages
  created at or before the record's `sent_at`. A conversation whose link to the
  case is on the timeline after `sent_at` is left out, since it was linked after
  sending; one that was linked at sending and moved to another case since is not
  recovered.

This is the one time existing records are written to; the model refuses any
change afterwards.
"""

from django.db import migrations, models

FACTS = {
    "categories": None,
    "risk": "risk",
    "age_group": "age_group",
    "gender": "gender",
    "province": "province_code",
}


def _transcript(apps, case, sent_at) -> dict:
    Conversation = apps.get_model("helpline", "Conversation")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    linked_later = {
        str(event.detail.get("conversation"))
        for event in CaseEvent.objects.filter(
            case=case, action="conversation_linked", at__gt=sent_at
        )
    }
    conversations = (
        Conversation.objects.filter(case=case)
        .annotate(
            seq_at_sending=models.Max(
                "messages__seq", filter=models.Q(messages__created_at__lte=sent_at)
            )
        )
        .filter(seq_at_sending__gte=1)
    )
    return {
        str(conversation.pk): conversation.seq_at_sending
        for conversation in conversations
        if str(conversation.pk) not in linked_later
    }


def snapshot_existing_records(apps, schema_editor):
    DisclosureRecord = apps.get_model("escalation", "DisclosureRecord")
    records = DisclosureRecord.objects.select_related("escalation__case")
    for record in records:
        case = record.escalation.case
        snapshot = {}
        for item in record.items:
            if item == "categories":
                snapshot[item] = sorted(case.categories.values_list("code", flat=True))
            elif item in FACTS:
                snapshot[item] = getattr(case, FACTS[item])
            elif item == "transcript":
                snapshot[item] = _transcript(apps, case, record.sent_at)
        DisclosureRecord.objects.filter(pk=record.pk).update(snapshot=snapshot)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0003_load_categories"),
        ("escalation", "0002_escalations"),
        ("helpline", "0004_canned_responses_seed"),
    ]

    operations = [
        migrations.AddField(
            model_name="disclosurerecord",
            name="snapshot",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(snapshot_existing_records, migrations.RunPython.noop),
    ]
