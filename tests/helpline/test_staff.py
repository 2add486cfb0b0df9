"""manage.py create_staff: the production way to add staff, each with one role and one scope."""

import getpass

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from helpline.models import Role, StaffChangeRequest, User

STRONG = "mat-khau-rat-dai-2026"


@pytest.fixture
def password_in_env(monkeypatch):
    monkeypatch.setenv("STAFF_PASSWORD", STRONG)


@pytest.fixture
def prompt(monkeypatch):
    """Answer the password prompts in turn, as a person at the terminal would."""

    def answer(*answers: str):
        replies = iter(answers)
        monkeypatch.delenv("STAFF_PASSWORD", raising=False)
        monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(replies))

    return answer


def create_staff(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("create_staff", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "role", "hotline", "agency"),
    [
        (["--role", "operator", "--hotline", "01"], Role.OPERATOR, "01", None),
        (["--role", "supervisor", "--hotline", "00"], Role.SUPERVISOR, "00", None),
        (["--role", "liaison", "--agency", "a05-police"], Role.LIAISON, None, "a05-police"),
        (["--role", "administrator"], Role.ADMINISTRATOR, None, None),
    ],
)
def test_it_creates_staff_with_the_password_from_the_environment(
    reference_data, password_in_env, args, role, hotline, agency
):
    output = create_staff("--username", "lan", "--full-name", "Trần Thị Lan", *args)
    assert "Created lan" in output
    assert STRONG not in output
    user = User.objects.get(username="lan")
    assert user.role == role
    assert (user.hotline.code if user.hotline else None) == hotline
    assert (user.agency.code if user.agency else None) == agency
    assert user.get_full_name() == "Trần Thị Lan"
    assert authenticate(username="lan", password=STRONG) == user
    if agency:
        assert user.groups.filter(agency__code=agency).exists()
    assert not user.is_superuser
    assert user.is_staff == (role == Role.ADMINISTRATOR)
    assert user.groups.filter(name="administrators").exists() == (role == Role.ADMINISTRATOR)


@pytest.mark.django_db
def test_it_asks_for_the_password_twice_when_none_is_in_the_environment(reference_data, prompt):
    prompt(STRONG, STRONG)
    create_staff("--username", "an", "--role", "operator", "--hotline", "46")
    assert authenticate(username="an", password=STRONG).hotline.code == "46"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("answers", "message"),
    [((STRONG, "something-else-2026"), "do not match"), (("", ""), "password is required")],
)
def test_it_refuses_mismatched_or_empty_passwords_at_the_prompt(
    reference_data, prompt, answers, message
):
    prompt(*answers)
    with pytest.raises(CommandError, match=message):
        create_staff("--username", "an", "--role", "operator", "--hotline", "46")
    assert not User.objects.filter(username="an").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "janitor", "--hotline", "01"], "invalid choice"),
        (["--role", "operator", "--hotline", "99"], "Không có tổng đài mã 99"),
        (["--role", "operator"], "cần đúng một tổng đài"),
        (["--role", "supervisor", "--agency", "a05-police"], "cần đúng một tổng đài"),
        (["--role", "liaison", "--agency", "no-such-agency"], "Không có cơ quan mã no-such-agency"),
        (["--role", "liaison"], "cần đúng một cơ quan"),
        (["--role", "administrator", "--hotline", "01"], "Quản trị viên không thuộc"),
        (["--role", "operator", "--hotline", "01", "--agency", "a05-police"], "not allowed"),
    ],
)
def test_it_refuses_a_bad_role_hotline_or_agency_with_a_command_error(
    reference_data, password_in_env, args, message
):
    with pytest.raises(CommandError, match=message):
        create_staff("--username", "lan", *args)
    assert not User.objects.filter(username="lan").exists()


@pytest.mark.django_db
def test_it_refuses_a_weak_password(reference_data, monkeypatch):
    monkeypatch.setenv("STAFF_PASSWORD", "12345")
    with pytest.raises(CommandError):
        create_staff("--username", "lan", "--role", "operator", "--hotline", "01")
    assert not User.objects.filter(username="lan").exists()


@pytest.mark.django_db
def test_it_refuses_a_username_that_exists(reference_data, password_in_env):
    with pytest.raises(CommandError, match="op_hanoi"):
        create_staff("--username", "op_hanoi", "--role", "operator", "--hotline", "46")
    assert User.objects.get(username="op_hanoi").hotline.code == "01"


@pytest.mark.django_db
def test_it_refuses_in_the_database_a_role_without_its_scope(reference_data):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="nobody", role=Role.OPERATOR)


@pytest.mark.django_db
def test_it_records_no_staff_change_request_for_the_bootstrap_path(reference_data, password_in_env):
    create_staff("--username", "lan", "--role", "administrator")
    assert not StaffChangeRequest.objects.exists()
