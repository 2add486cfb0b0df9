"""What synthetic history stands on: the hotlines' staff, categories, agencies, references.

Hotlines and categories come from the migrations, agencies and their liaisons
from `seed_demo` (or an administrator); seed_synthetic adds only its own
operators and supervisors, named `synthetic-...`, who cannot log in.
"""

import random

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission

from cases.models import CaseReferenceCounter, Category
from escalation.models import Agency
from helpline.models import Hotline, Role, User
from synthetic import distributions as shape

STAFF_PREFIX = "synthetic-"


class References:
    """Case references per hotline and year, continuing each hotline's counter."""

    def __init__(self, hotlines: dict[int, Hotline]):
        self.prefix = {pk: hotline.ref_prefix for pk, hotline in hotlines.items()}
        self.last = {
            (row.hotline_id, row.year): row.last_number
            for row in CaseReferenceCounter.objects.all()
        }
        self.changed: set[tuple[int, int]] = set()

    def next(self, hotline_id: int, year: int) -> str:
        key = (hotline_id, year)
        self.last[key] = self.last.get(key, 0) + 1
        self.changed.add(key)
        return f"{self.prefix[hotline_id]}-{year}-{self.last[key]:06d}"

    def save(self) -> None:
        """Move the counters past the numbers handed out, so new cases never reuse one."""
        for hotline_id, year in sorted(self.changed):
            CaseReferenceCounter.objects.update_or_create(
                hotline_id=hotline_id,
                year=year,
                defaults={"last_number": self.last[hotline_id, year]},
            )


def _operators_wanted(hotline: Hotline) -> int:
    if hotline.is_central:
        return shape.CENTRAL_OPERATORS
    population = shape.PROVINCE_POPULATION.get(hotline.code, 1.0)
    return max(shape.MIN_OPERATORS, round(population * shape.OPERATORS_PER_MILLION))


class Staff:
    """The synthetic operators and supervisors of each hotline (created once, then reused)."""

    def __init__(self, hotlines: dict[int, Hotline]):
        existing = set(
            User.objects.filter(username__startswith=STAFF_PREFIX).values_list(
                "username", flat=True
            )
        )
        unusable = make_password(None)
        wanted = []
        for hotline in hotlines.values():
            for role, count in (
                (Role.OPERATOR, _operators_wanted(hotline)),
                (Role.SUPERVISOR, shape.SUPERVISORS_PER_HOTLINE),
            ):
                for number in range(1, count + 1):
                    username = f"{STAFF_PREFIX}{role[:3]}-{hotline.code}-{number:03d}"
                    if username not in existing:
                        wanted.append(
                            User(username=username, role=role, hotline=hotline, password=unusable)
                        )
        User.objects.bulk_create(wanted)
        self.created = len(wanted)
        self.operators: dict[int, list[int]] = {}
        self.supervisors: dict[int, list[int]] = {}
        for user_id, role, hotline_id in User.objects.filter(
            username__startswith=STAFF_PREFIX, is_active=True
        ).values_list("pk", "role", "hotline_id"):
            group = self.operators if role == Role.OPERATOR else self.supervisors
            group.setdefault(hotline_id, []).append(user_id)


class Categories:
    """The category tree as codes and ids, with the weights contacts draw them by."""

    def __init__(self):
        rows = list(Category.objects.values_list("pk", "code", "parent__code", "escalation_hint"))
        self.ids = {code: pk for pk, code, _parent, _hint in rows}
        self.hints = {code: hint for _pk, code, _parent, hint in rows if hint}
        leaves: dict[str, dict[str, float]] = {}
        for _pk, code, parent, _hint in rows:
            if parent is not None:
                leaves.setdefault(parent, {})[code] = shape.ONLINE_HARMS.get(code, 1.0)
        self.leaves = {area: shape.Weighted(codes) for area, codes in leaves.items()}

    def draw(self, rng: random.Random, areas: shape.Weighted, count: int) -> tuple[str, ...]:
        """Up to `count` different leaf categories, their areas drawn by weight."""
        chosen: set[str] = set()
        for _attempt in range(count * 3):
            area = areas.draw(rng)
            if area in self.leaves:
                chosen.add(self.leaves[area].draw(rng))
            if len(chosen) == count:
                break
        return tuple(sorted(chosen))


class Agencies:
    """Active agencies: what they accept and where, their liaisons, the grantable permissions."""

    def __init__(self):
        self.all = list(Agency.objects.filter(is_active=True))
        self.liaisons: dict[int, list[int]] = {}
        for user_id, agency_id in User.objects.filter(
            role=Role.LIAISON, is_active=True
        ).values_list("pk", "agency_id"):
            self.liaisons.setdefault(agency_id, []).append(user_id)
        self.permission_ids = list(
            Permission.objects.filter(
                content_type__app_label="escalation",
                codename__in=("view_escalation", "change_escalation"),
            ).values_list("pk", flat=True)
        )

    def choose(self, rng: random.Random, escalation_type: str, province: str) -> Agency | None:
        # A provincial agency is twice as likely as a national one where there is one.
        fitting = {
            agency: 2.0 if agency.scope == Agency.Scope.PROVINCIAL else 1.0
            for agency in self.all
            if agency.accepts(escalation_type) and agency.covers_province(province)
        }
        return shape.Weighted(fitting).draw(rng) if fitting else None
