"""Call routing sends a child's call to a phone: nobody changes it from /admin/.

Administrators (and even a superuser) only read it there, masked. Whoever
operates the server sets it with `manage.py set_call_routing`.
"""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from helpline.models import User
from telephony.models import OperatorEndpoint
from telephony.phone import phone_decrypt, phone_encrypt
from tests.logins import staff_login

OPERATOR_PHONE = "+84912345678"
INSIDER_PHONE = "+84987654321"


@pytest.fixture
def superuser(reference_data):
    return User.objects.create_superuser("root", "root@example.invalid", password=None)


@pytest.fixture
def routed_op_hanoi(twilio_settings, op_hanoi) -> OperatorEndpoint:
    return OperatorEndpoint.objects.create(
        user=op_hanoi,
        kind=OperatorEndpoint.Kind.PHONE,
        phone_encrypted=phone_encrypt(OPERATOR_PHONE),
    )


def set_call_routing(*args: str) -> str:
    out = StringIO()
    call_command("set_call_routing", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["administrator", "superuser"])
def test_it_refuses_to_change_call_routing_from_the_admin(
    request, client, routed_op_hanoi, op_hue, who
):
    staff_login(client, request.getfixturevalue(who))
    grab = {"user": op_hue.pk, "kind": "phone", "phone_number": INSIDER_PHONE}
    assert client.post(reverse("admin:telephony_operatorendpoint_add"), grab).status_code == 403
    change = reverse("admin:telephony_operatorendpoint_change", args=[routed_op_hanoi.pk])
    assert client.post(change, {**grab, "user": routed_op_hanoi.user_id}).status_code == 403
    delete = reverse("admin:telephony_operatorendpoint_delete", args=[routed_op_hanoi.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert list(OperatorEndpoint.objects.values_list("user_id", flat=True)) == [
        routed_op_hanoi.user_id
    ]
    endpoint = OperatorEndpoint.objects.get()
    assert phone_decrypt(endpoint.phone_encrypted) == OPERATOR_PHONE


@pytest.mark.django_db
def test_it_shows_the_administrator_call_routing_only_masked(
    client, administrator, routed_op_hanoi
):
    staff_login(client, administrator)
    page = client.get(reverse("admin:telephony_operatorendpoint_changelist")).content.decode()
    assert "•••• ••• 678" in page
    assert "912345678" not in page


@pytest.mark.django_db
def test_it_sets_a_phone_from_the_environment_and_prints_it_masked(
    twilio_settings, op_hanoi, monkeypatch
):
    monkeypatch.setenv("CALL_ROUTING_NUMBER", "+84 912 345 678")
    output = set_call_routing("--username", "op_hanoi", "--kind", "phone")
    assert "912345678" not in output
    assert "•••• ••• 678" in output
    endpoint = OperatorEndpoint.objects.get(user=op_hanoi)
    assert endpoint.kind == OperatorEndpoint.Kind.PHONE
    assert phone_decrypt(endpoint.phone_encrypted) == OPERATOR_PHONE


@pytest.mark.django_db
def test_it_sends_calls_back_to_the_softphone_and_forgets_the_number(routed_op_hanoi):
    set_call_routing("--username", "op_hanoi", "--kind", "client")
    endpoint = OperatorEndpoint.objects.get(pk=routed_op_hanoi.pk)
    assert (endpoint.kind, endpoint.phone_encrypted) == (OperatorEndpoint.Kind.CLIENT, "")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "number", "message"),
    [
        ("liaison_a05", OPERATOR_PHONE, "No operator or supervisor"),
        ("admin", OPERATOR_PHONE, "No operator or supervisor"),
        ("op_hanoi", "0912345678", "international form"),
    ],
)
def test_it_refuses_a_non_answering_account_or_a_local_number(
    twilio_settings, reference_data, monkeypatch, username, number, message
):
    monkeypatch.setenv("CALL_ROUTING_NUMBER", number)
    with pytest.raises(CommandError, match=message):
        set_call_routing("--username", username, "--kind", "phone")
    assert not OperatorEndpoint.objects.exists()


@pytest.mark.django_db
def test_it_shows_one_routing_read_only_to_the_administrator(
    client, administrator, routed_op_hanoi
):
    staff_login(client, administrator)
    url = reverse("admin:telephony_operatorendpoint_change", args=[routed_op_hanoi.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "•••• ••• 678" in page.content.decode()
    assert 'name="kind"' not in page.content.decode()
