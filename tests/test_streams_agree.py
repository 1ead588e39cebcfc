"""A stream is declared once per layer (server, wire, cache); the three must agree, so a
new stream or field is never half-added. Fails with the place that lacks it."""
from __future__ import annotations

import typing

from storeserver.streams import STREAMS as SERVER
from workstation.models.schema import Interned
from workstation.models.streams import STREAMS as CACHE
from workstation.sync.puller import STREAM_WEIGHTS
from workstation.sync.wire import ENTITY_TYPES, STREAM_ORDER


def _wire_fields(typed_dict) -> set[str]:
    return set(typing.get_type_hints(typed_dict, include_extras=False))


def _stored_columns(model, skip=()) -> set[str]:
    """The wire fields a model stores: an interned column (0010) stands for its fields."""
    out: set[str] = set()
    for c in model.__table__.columns:
        if c.computed is None and c.name not in skip:
            out |= set(c.type.fields) if isinstance(c.type, Interned) else {c.name}
    return out


def test_every_layer_declares_the_same_streams():
    assert set(SERVER) == set(ENTITY_TYPES) == set(CACHE)
    assert STREAM_ORDER == tuple(sorted(CACHE, key=lambda s: CACHE[s].priority))
    assert abs(sum(STREAM_WEIGHTS.values()) - 1.0) < 1e-9


def test_server_wire_and_cache_fields_agree():
    for name, server in SERVER.items():
        wire = ENTITY_TYPES[name]
        cache = CACHE[name]
        child_key = server.child.key if server.child else None
        assert _wire_fields(wire) == set(server.fields) | ({child_key} if child_key else set()), name
        assert _stored_columns(cache.model) == set(server.fields), name
        assert (cache.child is None) == (server.child is None), name
        if server.child is not None:
            assert cache.child.key == child_key, name
            child_type = typing.get_type_hints(wire)[child_key].__args__[0]
            assert _wire_fields(child_type) == set(server.child.fields), name
            stored = _stored_columns(cache.child.model, skip=(cache.child.parent_column, cache.child.item_column))
            if cache.child.items is not None:  # fields stored once in their own table (0009)
                stored |= _stored_columns(cache.child.items, skip=("id",))
            assert stored == set(server.child.fields), name
