"""Load hotlines, categories, demo agencies and demo staff. Safe to run again."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from cases.models import Category
from escalation.models import Agency
from helpline.models import Hotline, Role, User
from helpline.reference_data import categories_sync, hotlines_sync
from helpline.staff import staff_create

# Published in the README: outside DEBUG the login refuses it
# (helpline.backends) and `check --deploy` warns about any account that has it.
DEMO_PASSWORD = "helpline-demo-2026"  # noqa: S105 - only set while DEBUG is on

DEMO_AGENCIES = [
    {
        "code": "a05-police",
        "name_vi": "Cục An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao (A05)",
        "name_en": "Department of Cybersecurity and High-tech Crime Prevention (A05)",
        "scope": Agency.Scope.NATIONAL,
        "province_codes": [],
        "accepted_types": ["privacy_violation", "child_abuse", "ocsea", "scam"],
        "notification_email": "a05-demo@example.invalid",
        "immediate_acknowledge_within": timedelta(hours=1),
        "immediate_resolve_within": timedelta(hours=24),
        "within_24h_acknowledge_within": timedelta(hours=12),
        "within_24h_resolve_within": timedelta(days=7),
        "within_72h_acknowledge_within": timedelta(hours=48),
        "within_72h_resolve_within": timedelta(days=30),
    },
    {
        "code": "hotline-111",
        "name_vi": "Tổng đài quốc gia bảo vệ trẻ em 111",
        "name_en": "National child protection hotline 111",
        "scope": Agency.Scope.NATIONAL,
        "province_codes": [],
        "accepted_types": ["child_abuse", "ocsea", "self_harm"],
        "notification_email": "111-demo@example.invalid",
        "immediate_acknowledge_within": timedelta(minutes=30),
        "immediate_resolve_within": timedelta(hours=12),
        "within_24h_acknowledge_within": timedelta(hours=4),
        "within_24h_resolve_within": timedelta(days=3),
        "within_72h_acknowledge_within": timedelta(hours=24),
        "within_72h_resolve_within": timedelta(days=14),
    },
    {
        "code": "hanoi-police",
        "name_vi": "Phòng An ninh mạng, Công an Thành phố Hà Nội",
        "name_en": "Hanoi Police cybersecurity unit",
        "scope": Agency.Scope.PROVINCIAL,
        "province_codes": ["01"],
        "accepted_types": ["privacy_violation", "child_abuse", "ocsea", "scam"],
        "notification_email": "hanoi-police-demo@example.invalid",
        "immediate_acknowledge_within": timedelta(hours=1),
        "immediate_resolve_within": timedelta(hours=24),
        "within_24h_acknowledge_within": timedelta(hours=8),
        "within_24h_resolve_within": timedelta(days=5),
        "within_72h_acknowledge_within": timedelta(hours=48),
        "within_72h_resolve_within": timedelta(days=21),
    },
    {
        "code": "mental-health",
        "name_vi": "Trung tâm hỗ trợ sức khỏe tâm thần thanh thiếu niên",
        "name_en": "Youth mental health support centre",
        "scope": Agency.Scope.NATIONAL,
        "province_codes": [],
        "accepted_types": ["self_harm"],
        "notification_email": "mental-health-demo@example.invalid",
        "immediate_acknowledge_within": timedelta(minutes=30),
        "immediate_resolve_within": timedelta(hours=6),
        "within_24h_acknowledge_within": timedelta(hours=4),
        "within_24h_resolve_within": timedelta(days=2),
        "within_72h_acknowledge_within": timedelta(hours=24),
        "within_72h_resolve_within": timedelta(days=7),
    },
]

# username, role, hotline code, agency code, full name
DEMO_STAFF = [
    ("op_hanoi", Role.OPERATOR, "01", None, "Nguyễn Thu Hà"),
    ("op_hue", Role.OPERATOR, "46", None, "Trần Minh Huế"),
    ("op_central", Role.OPERATOR, "00", None, "Lê Quốc Trung"),
    ("sup_hanoi", Role.SUPERVISOR, "01", None, "Phạm Thanh Bình"),
    ("sup_central", Role.SUPERVISOR, "00", None, "Đỗ Hải Yến"),
    ("admin", Role.ADMINISTRATOR, None, None, "Quản trị hệ thống"),
    ("liaison_a05", Role.LIAISON, None, "a05-police", "Vũ Đức Anh"),
    ("liaison_111", Role.LIAISON, None, "hotline-111", "Hoàng Mai Lan"),
    ("liaison_hanoi_police", Role.LIAISON, None, "hanoi-police", "Bùi Văn Nam"),
    ("liaison_mental", Role.LIAISON, None, "mental-health", "Ngô Thị Hương"),
]


def agencies_seed() -> None:
    for data in DEMO_AGENCIES:
        group, _ = Group.objects.get_or_create(name=f"agency:{data['code']}")
        Agency.objects.update_or_create(code=data["code"], defaults={**data, "group": group})


def demo_staff_seed(*, password: str | None) -> list[str]:
    """Create the demo staff that do not exist yet; return their usernames."""
    existing = set(User.objects.values_list("username", flat=True))
    created = []
    for username, role, hotline, agency, full_name in DEMO_STAFF:
        if username in existing:
            continue
        staff_create(
            username=username,
            role=role,
            password=password,
            hotline_code=hotline,
            agency_code=agency,
            full_name=full_name,
            validate=False,
        )
        created.append(username)
    return created


def demo_passwords_disable() -> list[str]:
    """Make the demo password unusable on every demo account that still has it.

    Only accounts whose password is the demo one are touched: a real account
    that happens to use a demo username ("admin") keeps its own password. Each
    is saved with user.save(), so receivers of post_save hear of it.
    """
    disabled = []
    usernames = [username for username, *_rest in DEMO_STAFF]
    for user in User.objects.select_for_update().filter(username__in=usernames):
        if user.has_usable_password() and check_password(DEMO_PASSWORD, user.password):
            user.set_unusable_password()
            user.save(update_fields=["password"])
            disabled.append(user.username)
    return disabled


class Command(BaseCommand):
    help = "Load hotlines, categories, demo agencies and demo staff (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        hotlines_sync(Hotline)
        categories_sync(Category)
        agencies_seed()
        # Outside DEBUG the demo accounts exist but cannot log in, including
        # those created earlier by a run with DEBUG on against the same database.
        created = demo_staff_seed(password=DEMO_PASSWORD if settings.DEBUG else None)
        disabled = [] if settings.DEBUG else demo_passwords_disable()
        self.stdout.write(
            f"Demo data ready: {Hotline.objects.count()} hotlines, {Category.objects.count()} "
            f"categories, {Agency.objects.count()} agencies, {len(created)} new staff."
        )
        if disabled:
            self.stdout.write(f"Demo password made unusable on {len(disabled)} accounts.")
        if settings.DEBUG:
            self.stdout.write("Demo logins (DEBUG only), password for all: " + DEMO_PASSWORD)
            for username, role, hotline, agency, _name in DEMO_STAFF:
                scope = f"hotline {hotline}" if hotline else (f"agency {agency}" if agency else "")
                self.stdout.write(f"  {username:<22} {role:<14} {scope}")
