"""Load the hotlines and the category tree from the data files shipped with the project.

The functions take the model classes as arguments so that data migrations can
pass their historical models. Running them again updates names and adds what is
new; nothing is ever deleted, because cases point at these rows.
"""

import csv
import datetime
from pathlib import Path

from helpline.provinces import all_provinces

CATEGORIES_FILE = Path(__file__).resolve().parent.parent / "cases" / "data" / "categories.csv"
CENTRAL = {
    "code": "00",
    "name_vi": "Tổng đài Trung ương",
    "name_en": "Central hotline",
    "ref_prefix": "TW",
}


def hotlines_sync(hotline_model) -> int:
    """Create or update the central hotline (24/7) and one hotline per province."""
    hotline_model.objects.update_or_create(
        code=CENTRAL["code"],
        defaults={
            "name_vi": CENTRAL["name_vi"],
            "name_en": CENTRAL["name_en"],
            "ref_prefix": CENTRAL["ref_prefix"],
            "is_central": True,
            "always_open": True,
        },
    )
    for province in all_provinces():
        hotline_model.objects.update_or_create(
            code=province.code,
            defaults={
                "name_vi": f"Tổng đài {province.name_vi}",
                "name_en": f"{province.name_en} hotline",
                "ref_prefix": province.ref_prefix,
            },
            create_defaults={
                "name_vi": f"Tổng đài {province.name_vi}",
                "name_en": f"{province.name_en} hotline",
                "ref_prefix": province.ref_prefix,
                "opens_at": datetime.time(7, 0),
                "closes_at": datetime.time(22, 0),
            },
        )
    return 1 + len(all_provinces())


def categories_sync(category_model) -> int:
    """Create or update the category tree, keeping the file's order."""
    with CATEGORIES_FILE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_code = {}
    for position, row in enumerate(rows):
        category, _ = category_model.objects.update_or_create(
            code=row["code"],
            defaults={
                "parent": by_code.get(row["parent"]) if row["parent"] else None,
                "name_vi": row["name_vi"],
                "name_en": row["name_en"],
                "escalation_hint": row["escalation_hint"],
                "position": position,
            },
        )
        by_code[row["code"]] = category
    return len(rows)
