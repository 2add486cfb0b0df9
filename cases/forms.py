from itertools import groupby

from django import forms
from django.db.models import Exists, OuterRef, Q
from django.forms.models import ModelChoiceIterator
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from cases.models import Case, CaseState, Category, Gender
from helpline.models import AgeGroup, Hotline, Risk
from helpline.provinces import province_choices


class GroupedCategoryIterator(ModelChoiceIterator):
    """Yield the categories in groups, one per parent, in the tree's order."""

    def __iter__(self):
        categories = self.queryset.select_related("parent").order_by("parent__position", "position")
        for parent, children in groupby(categories, key=lambda category: category.parent):
            if parent is None:
                yield from (self.choice(category) for category in children)
            else:
                yield (parent.name, [self.choice(category) for category in children])


class CategoryChoiceField(forms.ModelMultipleChoiceField):
    """The category tree by code: a heading per parent, a checkbox per category."""

    iterator = GroupedCategoryIterator

    def __init__(self, **kwargs):
        # A parent with children is a heading, not a choice: a case gets the precise one.
        has_children = Exists(Category.objects.filter(parent=OuterRef("pk")))
        leaves = Category.objects.filter(is_active=True).filter(
            Q(parent__isnull=False) | ~has_children
        )
        super().__init__(
            queryset=leaves,
            to_field_name="code",
            required=False,
            widget=forms.CheckboxSelectMultiple(attrs={"class": "category-tree"}),
            error_messages={
                "invalid_choice": _("Phân loại “%(value)s” không tồn tại."),
                "invalid_pk_value": _("Phân loại “%(pk)s” không tồn tại."),
                "invalid_list": _("Hãy chọn một danh sách phân loại."),
            },
            **kwargs,
        )


def _html_attributes(attrs: dict) -> str:
    """Django's attrs.html in Python: False leaves an attribute out, True writes its bare name."""
    return format_html_join(
        "",
        "{}",
        (
            (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value),)
            for name, value in attrs.items()
            if value is not False
        ),
    )


class PlainSelect(forms.Select):
    """A select written out in Python: the same HTML as Django's, without a template per option.

    Django renders each option through two template includes. The case list's
    filter selects (about a hundred options) cost a list page about as much as
    its queries did; a test keeps this output equal to Django's.
    """

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        groups = []
        for group_name, group_choices, _index in widget["optgroups"]:
            options = format_html_join(
                "",
                # Django's option template ends with a newline: the same bytes as its select.
                '\n  <option value="{}"{}>{}</option>\n',
                (
                    (option["value"], _html_attributes(option["attrs"]), option["label"])
                    for option in group_choices
                ),
            )
            if group_name:
                options = format_html(
                    '\n  <optgroup label="{}">{}\n  </optgroup>', group_name, options
                )
            groups.append((options,))
        return format_html(
            '<select name="{}"{}>{}\n</select>',
            widget["name"],
            _html_attributes(widget["attrs"]),
            format_html_join("", "{}", groups),
        )


class CategoryFilterField(forms.ModelChoiceField):
    """One category, or a whole branch when a parent is chosen."""

    def label_from_instance(self, category: Category) -> str:
        prefix = "— " if category.parent_id else ""
        return f"{prefix}{category.name}"


def _province_choices() -> list[tuple[str, str]]:
    return [("", _("Không rõ")), *province_choices()]


def _province_field(required: bool = False) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Tỉnh/thành của người liên hệ"),
        # A callable, so the names follow each request's language, not the one active at import.
        choices=_province_choices,
        required=required,
        error_messages={"invalid_choice": _("Mã tỉnh/thành không hợp lệ.")},
    )


class CaseForm(forms.Form):
    """The fields an operator fills in on a case."""

    def category_groups(self) -> list[dict]:
        """The category checkboxes, one group per parent, with what is ticked now."""
        ticked = {str(value) for value in self["categories"].value() or []}
        groups = []
        for choice_value, choice_label in self.fields["categories"].choices:
            options = (
                choice_label if isinstance(choice_label, list) else [(choice_value, choice_label)]
            )
            label = choice_value if isinstance(choice_label, list) else ""
            groups.append(
                {
                    "label": label,
                    "options": [
                        {"value": str(value), "label": text, "ticked": str(value) in ticked}
                        for value, text in options
                    ],
                }
            )
        return groups

    categories = CategoryChoiceField(label=_("Phân loại"))
    risk = forms.ChoiceField(label=_("Mức độ rủi ro"), choices=Risk.choices, initial=Risk.LOW)
    age_group = forms.ChoiceField(
        label=_("Nhóm tuổi"), choices=[("", _("Không rõ")), *AgeGroup.choices], required=False
    )
    gender = forms.ChoiceField(label=_("Giới tính"), choices=Gender.choices, initial=Gender.UNKNOWN)
    province_code = _province_field()
    summary = forms.CharField(
        label=_("Tóm tắt"),
        max_length=Case._meta.get_field("summary").max_length,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class CaseEditForm(CaseForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Ghi chú mới"), max_length=8000, widget=forms.Textarea(attrs={"rows": 4})
    )


class TransitionForm(forms.Form):
    transition = forms.CharField(max_length=20)
    version = forms.IntegerField()


class CaseFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("Trạng thái"),
        choices=[("", _("Tất cả")), *CaseState.choices],
        required=False,
        widget=PlainSelect,
    )
    risk = forms.ChoiceField(
        label=_("Rủi ro"),
        choices=[("", _("Tất cả")), *Risk.choices],
        required=False,
        widget=PlainSelect,
    )
    category = CategoryFilterField(
        label=_("Phân loại"),
        queryset=Category.objects.order_by("position"),
        to_field_name="code",
        required=False,
        empty_label=_("Tất cả"),
        widget=PlainSelect,
    )
    hotline = forms.ModelChoiceField(
        label=_("Tổng đài"),
        queryset=Hotline.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("Tất cả"),
        widget=PlainSelect,
    )
