"""The conversation state machine, driven by random steps of the young person and of staff.

Young people start chats in Hanoi, Hue or at central, write, press "I'm in danger",
leave (quick exit or not), time out and come back with their token; operators and
supervisors of any hotline accept, write, transfer and end. Each answer is checked
against the rules as docs/architecture.md and docs/protocol.md state them, and after
every step the database must hold: the states as modelled, seq 1, 2, 3... with no gap
in every conversation, exactly one operator on each active conversation and none on a
queued one, nobody over capacity, and each person seeing exactly the conversations of
their scope.

Every step runs at one fixed moment (a weekday morning, when the provincial hotlines
are open), so that whether a chat has overflowed to central depends on the steps only:
it has when the young person pressed danger while queued in a province.
"""

import datetime
import uuid
from dataclasses import dataclass, field

import pytest
from django.conf import settings as django_settings
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from helpline.conversations import (
    CapacityReached,
    ConversationAlreadyTaken,
    ConversationClosed,
    ConversationNotFound,
    InvalidHotline,
    InvalidToken,
    NotAllowed,
    conversation_abandon,
    conversation_accept,
    conversation_end,
    conversation_mark_danger,
    conversation_resume,
    conversation_start,
    conversation_transfer,
    message_post,
)
from helpline.models import Conversation, Hotline, Message
from helpline.selectors import conversations_visible_to
from tests.property.machines import (
    CENTRAL,
    STAFF,
    RolledBackMachine,
    anyone,
    expect,
    machine_for,
)
from tests.property.profiles import examples

# 10:00 in Vietnam on a Wednesday in the past: provincial hotlines open (07:00-22:00).
MOMENT = datetime.datetime(2026, 6, 3, 3, 0, tzinfo=datetime.UTC)
HOTLINES = ("01", "46", CENTRAL)
CLOSED = ("ended", "abandoned")
HOTLINE_STAFF = sorted(name for name, person in STAFF.items() if person.handles_cases)
staff_mostly = st.one_of(st.sampled_from(HOTLINE_STAFF), st.sampled_from(HOTLINE_STAFF), anyone)


@dataclass
class ChatModel:
    """What the rules say a conversation is now, kept beside the database."""

    pk: uuid.UUID
    token: str
    hotline: str
    state: str = "queued"
    operator: str | None = None
    danger: bool = False
    # When it overflows to central: None (a central chat never does), "now" (danger
    # pressed in a province), or "later" (after CENTRAL_OVERFLOW_SECONDS).
    overflow: str | None = None
    token_void: bool = False
    client_ids: list[uuid.UUID] = field(default_factory=list)

    def overflowed(self, *, at_moment: bool) -> bool:
        """At MOMENT only "now" has passed; at the real present, which is later, both have."""
        return self.overflow == "now" or (not at_moment and self.overflow == "later")


class ConversationMachine(RolledBackMachine):
    chats = Bundle("chats")

    @initialize()
    def start_clean(self):
        self.model: dict[uuid.UUID, ChatModel] = {}
        self.hotlines = {
            hotline.code: hotline for hotline in Hotline.objects.filter(code__in=HOTLINES)
        }

    # --- the rules, written out ---

    def visible(self, username: str, chat: ChatModel, *, at_moment: bool = True) -> bool:
        """Own hotline or held by them; central staff also see queued overflow; central
        supervisors see everything."""
        person = STAFF[username]
        if not person.handles_cases:
            return False
        if person.is_central_supervisor:
            return True
        if chat.hotline == person.hotline or chat.operator == username:
            return True
        return (
            person.hotline == CENTRAL
            and chat.state == "queued"
            and chat.overflowed(at_moment=at_moment)
        )

    def in_queue_of(self, username: str, chat: ChatModel) -> bool:
        person = STAFF[username]
        return chat.hotline == person.hotline or (
            person.hotline == CENTRAL and chat.overflowed(at_moment=True)
        )

    def load(self, username: str) -> int:
        return sum(c.state == "active" and c.operator == username for c in self.model.values())

    def overflow_on_arrival(self, hotline: str, danger: bool) -> str | None:
        if hotline == CENTRAL:
            return None
        return "now" if danger else "later"

    # --- the young person's steps ---

    @precondition(lambda self: len(self.model) < 5)
    @rule(
        target=chats,
        hotline=st.sampled_from(HOTLINES),
        danger=st.sampled_from([False] * 3 + [True]),
    )
    def start(self, hotline, danger):
        conversation, token = conversation_start(
            channel="webchat", hotline=self.hotlines[hotline], danger=danger, at=MOMENT
        )
        assert conversation.state == "queued" and len(token) >= 32
        self.model[conversation.pk] = ChatModel(
            pk=conversation.pk,
            token=token,
            hotline=hotline,
            danger=danger,
            overflow=self.overflow_on_arrival(hotline, danger),
        )
        return conversation.pk

    @rule(chat_id=chats)
    def youth_writes(self, chat_id):
        chat = self.model[chat_id]
        client_id = uuid.uuid4()
        outcome = None if chat.state in ("queued", "active") else ConversationClosed
        self.post(chat, outcome, sender="youth", client_id=client_id)

    @precondition(lambda self: any(chat.client_ids for chat in self.model.values()))
    @rule(data=st.data())
    def the_same_message_again(self, data):
        """A reconnecting client resends: the first message is answered, nothing new is stored.

        Chats are picked in the order they started, never by their random ids, so that
        an example replays the same way.
        """
        chat = self.model[
            data.draw(st.sampled_from([pk for pk, c in self.model.items() if c.client_ids]))
        ]
        client_id = data.draw(st.sampled_from(chat.client_ids), label="client_id")
        sender = Message.objects.get(client_id=client_id).sender
        author = self.user(chat.operator) if sender == "operator" else None
        message, created = message_post(
            conversation_id=chat.pk,
            sender=sender,
            body="Lại lần nữa",
            client_id=client_id,
            author=author,
            at=MOMENT,
        )
        assert not created and message.seq == chat.client_ids.index(client_id) + 1

    @rule(chat_id=chats)
    def youth_presses_danger(self, chat_id):
        chat = self.model[chat_id]
        outcome = ConversationClosed if chat.state in CLOSED else None
        expect(outcome, conversation_mark_danger, conversation_id=chat.pk, at=MOMENT)
        if outcome is None and not chat.danger:
            chat.danger = True
            if chat.state == "queued" and chat.hotline != CENTRAL:
                chat.overflow = "now"

    @rule(chat_id=chats, how=st.sampled_from(["end", "quick_exit", "timeout"]))
    def youth_goes(self, chat_id, how):
        """Leaves (with a quick exit or not), or the socket is gone too long while queued."""
        chat = self.model[chat_id]
        if how == "timeout":
            conversation_abandon(conversation_id=chat.pk, reason="timeout", at=MOMENT)
            if chat.state == "queued":
                chat.state = "abandoned"
            return
        reason = "quick_exit" if how == "quick_exit" else ""
        conversation_end(conversation_id=chat.pk, reason=reason, at=MOMENT)
        if chat.state in CLOSED:
            return  # ending twice changes nothing
        chat.state = "abandoned" if chat.state == "queued" else "ended"
        chat.token_void |= reason == "quick_exit"

    @rule(chat_id=chats)
    def youth_comes_back(self, chat_id):
        chat = self.model[chat_id]
        if chat.token_void:
            expect(InvalidToken, conversation_resume, token=chat.token, at=MOMENT)
        else:
            assert conversation_resume(token=chat.token, at=MOMENT).pk == chat.pk

    # --- staff steps ---

    @rule(chat_id=chats, data=st.data())
    def accept(self, chat_id, data):
        chat = self.model[chat_id]
        # Mostly someone whose queue holds it, else anyone at all.
        asked = sorted(n for n in HOTLINE_STAFF if self.in_queue_of(n, chat)) or HOTLINE_STAFF
        likely = st.sampled_from(asked)
        username = data.draw(st.one_of(likely, likely, staff_mostly), label="who")
        in_queue = self.in_queue_of(username, chat) if STAFF[username].handles_cases else False
        if not STAFF[username].handles_cases:
            outcome = NotAllowed
        elif not self.visible(username, chat):
            taken = chat.state != "queued" and in_queue
            outcome = ConversationAlreadyTaken if taken else ConversationNotFound
        elif chat.state in CLOSED:
            outcome = ConversationClosed
        elif chat.state != "queued":
            outcome = ConversationAlreadyTaken
        elif not in_queue:
            outcome = ConversationNotFound
        elif self.load(username) >= django_settings.OPERATOR_CAPACITY:
            outcome = CapacityReached
        else:
            outcome = None
        expect(
            outcome,
            conversation_accept,
            user=self.user(username),
            conversation_id=chat.pk,
            at=MOMENT,
        )
        if outcome is None:
            chat.state, chat.operator = "active", username

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def staff_writes(self, data):
        # Mostly into a chat someone holds: young people leave so often that a chat
        # drawn at random would hardly ever be answered. In the order chats started.
        held = [pk for pk, c in self.model.items() if c.state == "active"]
        every = list(self.model)
        chat_ids = st.one_of(st.sampled_from(held or every), st.sampled_from(every))
        chat = self.model[data.draw(chat_ids, label="chat")]
        likely = st.sampled_from([chat.operator] if chat.operator else HOTLINE_STAFF)
        username = data.draw(st.one_of(likely, likely, staff_mostly), label="who")
        if chat.state in CLOSED:
            outcome = ConversationClosed
        elif chat.state != "active" or chat.operator != username:
            outcome = NotAllowed
        else:
            outcome = None
        self.post(chat, outcome, sender="operator", client_id=uuid.uuid4(), author=username)

    @rule(chat_id=chats, data=st.data())
    def transfer(self, chat_id, data):
        chat = self.model[chat_id]
        likely = st.sampled_from([chat.operator] if chat.operator else HOTLINE_STAFF)
        username = data.draw(st.one_of(likely, staff_mostly), label="who")
        to = data.draw(st.sampled_from(HOTLINES), label="to")
        person = STAFF[username]
        holds = chat.state == "active" and chat.operator == username
        moves_queued = chat.state == "queued" and person.is_supervisor
        if not self.visible(username, chat):
            outcome = ConversationNotFound
        elif chat.state in CLOSED:
            outcome = ConversationClosed
        elif not (holds or moves_queued):
            outcome = NotAllowed
        elif to == chat.hotline:
            outcome = InvalidHotline
        else:
            outcome = None
        expect(
            outcome,
            conversation_transfer,
            user=self.user(username),
            conversation_id=chat.pk,
            hotline=to,
            note="Cần người nói tiếng Anh",
            at=MOMENT,
        )
        if outcome is None:
            chat.state, chat.operator, chat.hotline = "queued", None, to
            chat.overflow = self.overflow_on_arrival(to, chat.danger)

    @rule(chat_id=chats, data=st.data())
    def staff_ends(self, chat_id, data):
        chat = self.model[chat_id]
        likely = st.sampled_from([chat.operator] if chat.operator else HOTLINE_STAFF)
        username = data.draw(st.one_of(likely, staff_mostly), label="who")
        # The service looks the conversation up as of the real present, when every
        # provincial chat still queued has long overflowed to central.
        if not self.visible(username, chat, at_moment=False):
            outcome = ConversationNotFound
        elif chat.state in CLOSED:
            outcome = None  # ending twice changes nothing
        elif chat.state != "active" or chat.operator != username:
            outcome = NotAllowed
        else:
            outcome = None
        expect(
            outcome,
            conversation_end,
            conversation_id=chat.pk,
            by_user=self.user(username),
            at=MOMENT,
        )
        if outcome is None and chat.state == "active":
            chat.state = "ended"

    # --- helpers ---

    def post(self, chat: ChatModel, outcome, *, sender: str, client_id, author=None):
        message = expect(
            outcome,
            message_post,
            conversation_id=chat.pk,
            sender=sender,
            body="Chào bạn 👋 مرحبا",
            client_id=client_id,
            author=self.user(author) if author else None,
            at=MOMENT,
        )
        if outcome is None:
            stored, created = message
            assert created and stored.seq == len(chat.client_ids) + 1
            chat.client_ids.append(client_id)

    # --- invariants, after every step ---

    @invariant()
    def each_conversation_is_where_the_rules_put_it(self):
        rows = Conversation.objects.filter(pk__in=list(self.model)).values_list(
            "pk", "state", "hotline__code", "operator__username", "risk", "token_hash"
        )
        found = {
            pk: (state, hotline, operator, risk, bool(token))
            for pk, state, hotline, operator, risk, token in rows
        }
        expected = {
            pk: (
                c.state,
                c.hotline,
                c.operator,
                "imminent" if c.danger else "",
                not c.token_void,
            )
            for pk, c in self.model.items()
        }
        assert found == expected
        assert Conversation.objects.count() == len(self.model)

    @invariant()
    def seq_is_gap_free_and_each_client_id_stored_once(self):
        seqs: dict[uuid.UUID, list[int]] = {pk: [] for pk in self.model}
        for conversation_id, seq in Message.objects.order_by("seq").values_list(
            "conversation_id", "seq"
        ):
            seqs[conversation_id].append(seq)
        last = dict(Conversation.objects.values_list("pk", "last_seq"))
        for pk, chat in self.model.items():
            count = len(chat.client_ids)
            assert seqs[pk] == list(range(1, count + 1)), pk
            assert last[pk] == count, pk
        client_ids = list(Message.objects.values_list("client_id", flat=True))
        assert len(client_ids) == len(set(client_ids))

    @invariant()
    def exactly_one_operator_per_active_conversation_and_none_over_capacity(self):
        assert not Conversation.objects.filter(state="active", operator__isnull=True).exists()
        assert not Conversation.objects.filter(state="queued", operator__isnull=False).exists()
        for username in STAFF:
            active = Conversation.objects.filter(state="active", operator__username=username)
            assert active.count() <= django_settings.OPERATOR_CAPACITY
            if not STAFF[username].handles_cases:
                assert not active.exists()

    @invariant()
    def each_person_sees_exactly_the_conversations_of_their_scope(self):
        for username in STAFF:
            visible = conversations_visible_to(user=self.user(username), at=MOMENT)
            expected = {pk for pk, chat in self.model.items() if self.visible(username, chat)}
            assert set(visible.values_list("pk", flat=True)) == expected, username


@pytest.mark.django_db
def test_it_keeps_the_conversation_rules_whatever_anyone_does(staff, request):
    # One chat at a time per operator, so that a few steps reach the limit.
    request.getfixturevalue("settings").OPERATOR_CAPACITY = 1
    run_state_machine_as_test(
        machine_for(ConversationMachine, staff),
        settings=settings(max_examples=examples(15), stateful_step_count=30),
    )
