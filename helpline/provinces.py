"""The 34 provinces and centrally-run cities (Decision 19/2025/QĐ-TTg).

The list ships with the project in helpline/data/provinces.csv and is read once.
"""

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.utils.translation import get_language

DATA_FILE = Path(__file__).resolve().parent / "data" / "provinces.csv"


@dataclass(frozen=True)
class Province:
    code: str
    name_vi: str
    name_en: str
    kind: str
    merged_from: str
    ref_prefix: str

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "vi").startswith("en") else self.name_vi


@cache
def all_provinces() -> tuple[Province, ...]:
    with DATA_FILE.open(encoding="utf-8", newline="") as handle:
        return tuple(Province(**row) for row in csv.DictReader(handle))


@cache
def provinces_by_code() -> dict[str, Province]:
    return {province.code: province for province in all_provinces()}


def province_choices() -> list[tuple[str, str]]:
    return [(p.code, p.name) for p in all_provinces()]


def province_name(code: str) -> str:
    province = provinces_by_code().get(code)
    return province.name if province else ""
