"""How a report's cells read on the page: localised numbers, a dash for no value."""

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def report_cell(value) -> str:
    """An int with its thousands grouped, a float with one decimal, None as a dash."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return number_format(value, decimal_pos=1, force_grouping=True)
    if isinstance(value, int):
        return number_format(value, force_grouping=True)
    return str(value)
