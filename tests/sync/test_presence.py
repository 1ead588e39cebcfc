"""Presence over a real server: a colleague viewing or typing shows up; best effort (one
quick try, never retried), bad input refused before anything is sent."""
from __future__ import annotations

import pytest

from storeserver import ops
from tests.sync.chaos import Chaos, target_of
from tests.sync.conftest import signed_in
from tests.sync.test_chat_sync import buyer_ids, relay_send
from workstation.sync.client import StoreClient
from workstation.sync.errors import ServerUnreachable


@pytest.fixture
def conversation(store) -> int:
    (buyer,) = buyer_ids(store, 1)
    return relay_send(store.url, buyer, "在吗")["conversation_id"]


def test_a_colleague_typing_is_shown_and_idle_ends_it(store, conversation):
    ops.create_agent(store.engine, store.shop_id, "colleague", "pw-colleague", "同事", "1031")
    me, other = signed_in(store.url), signed_in(store.url, "colleague", "pw-colleague")
    try:
        assert me.presence(conversation) == []
        other.set_presence(conversation, "typing")
        (p,) = me.presence(conversation)
        assert (p.agent_no, p.display_name, p.state) == ("1031", "同事", "typing")
        assert other.presence(conversation) == []  # the caller is left out
        other.set_presence(conversation, "idle")
        assert me.presence(conversation) == []
    finally:
        me.close()
        other.close()


def test_bad_presence_input_is_refused_before_sending(store, conversation):
    client = signed_in(store.url)
    try:
        with pytest.raises(ValueError):
            client.set_presence(conversation, "sleeping")
        with pytest.raises(ValueError):
            client.set_presence(0, "viewing")
        with pytest.raises(ValueError):
            client.presence(True)
    finally:
        client.close()


def test_presence_is_one_try_never_retried(store, conversation):
    """Every answer is lost on the way back: each call reaches the server once and fails at
    once (the next renewal says it again; nothing queues)."""
    token = signed_in(store.url).token
    with Chaos(target_of(store.url), {"drop_response": 1.0}) as chaos:
        client = StoreClient(chaos.url, token=token)
        try:
            with pytest.raises(ServerUnreachable):
                client.set_presence(conversation, "viewing", timeout=2)
            with pytest.raises(ServerUnreachable):
                client.presence(conversation, timeout=2)
        finally:
            client.close()
        assert chaos.counts == {"drop_response": 2}
