"""Incidents opened the usual way, for the incident, flash and board tests."""

from cases.models import Category
from reports.incidents import incident_open


def open_incident(*, by, provinces=(), title="Thử thách nhịn thở trên mạng", severity="high"):
    return incident_open(
        user=by,
        title=title,
        platform="TikTok",
        description="Video hướng dẫn lan nhanh trong học sinh.",
        category=Category.objects.get(code="online.harmful_content"),
        severity=severity,
        province_codes=provinces,
    )
