"""What a write changed: the change set every cache write returns (Anki's `OpChanges`).

A write (a sync page today, a local write from the outbox later) returns a `ChangeSet`: per
stream, which entity ids were written, which are new, which were deleted and which changed
their searchable text; and which outbox rows changed. The UI re-emits it as named signals,
and each pane refreshes only what the set names (and nothing when it is empty).

Plain frozen dataclasses, no Qt: the sync layer hands them to its callbacks as they are.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

_EMPTY: frozenset = frozenset()


@dataclass(frozen=True)
class StreamChange:
    """The rows of one stream that a write touched."""

    stream: str
    upserted: frozenset[int] = _EMPTY  # ids written (a new row, or a newer version of one)
    inserted: frozenset[int] = _EMPTY  # of `upserted`, the ids that were not cached before
    deleted: frozenset[int] = _EMPTY
    # ids whose searchable text is new or different (orders): an open search may now match
    # them, or stop matching them. Always a subset of `upserted`.
    reindexed: frozenset[int] = _EMPTY
    # The stream was reloaded wholesale (after 410 cursor_gone): any row may have changed.
    reloaded: bool = False

    @property
    def ids(self) -> frozenset[int]:
        """Every id whose row is different now (written or deleted)."""
        return self.upserted | self.deleted

    @property
    def rows(self) -> int:
        return len(self.upserted) + len(self.deleted)

    def __bool__(self) -> bool:
        return bool(self.upserted or self.deleted or self.reloaded)

    def touches(self, ids: Iterable[int]) -> bool:
        """Whether any of `ids` (e.g. the rows a pane shows) changed."""
        if self.reloaded:
            return True
        changed = self.ids
        return any(i in changed for i in ids)

    def merge(self, later: StreamChange) -> StreamChange:
        """This change followed by `later` (same stream), as one change."""
        if later.stream != self.stream:
            raise ValueError(f"cannot merge changes of {self.stream!r} and {later.stream!r}")
        upserted = (self.upserted - later.deleted) | later.upserted
        deleted = (self.deleted - later.upserted) | later.deleted
        # New in the merged span: inserted by either and still present at its end.
        inserted = ((self.inserted | later.inserted) - later.deleted) & upserted
        reindexed = ((self.reindexed - later.deleted) | later.reindexed) & upserted
        return StreamChange(self.stream, frozenset(upserted), frozenset(inserted),
                            frozenset(deleted), frozenset(reindexed),
                            self.reloaded or later.reloaded)


@dataclass(frozen=True)
class ChangeSet:
    """Everything one write (or a run of writes, merged) changed.

    `initiator` identifies who made a local write (e.g. the pane that saved a remark), so the
    pane that made the change can skip reloading under the agent; sync writes have None.
    """

    streams: Mapping[str, StreamChange] = field(default_factory=dict)
    outbox: frozenset[str] = _EMPTY  # mutation ids whose outbox row changed (issue 8 on)
    initiator: object = field(default=None, compare=False)

    @classmethod
    def of(cls, *changes: StreamChange, outbox: Iterable[str] = (),
           initiator: object = None) -> ChangeSet:
        streams: dict[str, StreamChange] = {}
        for change in changes:
            if not change:
                continue
            prev = streams.get(change.stream)
            streams[change.stream] = change if prev is None else prev.merge(change)
        return cls(streams, frozenset(outbox), initiator)

    def get(self, stream: str) -> StreamChange | None:
        """The change of `stream`, or None when the stream did not change."""
        return self.streams.get(stream)

    @property
    def rows(self) -> int:
        return sum(c.rows for c in self.streams.values())

    def __bool__(self) -> bool:
        return bool(self.streams) or bool(self.outbox)

    def merge(self, later: ChangeSet) -> ChangeSet:
        """This set followed by `later`. The initiator survives only when both agree."""
        streams = dict(self.streams)
        for name, change in later.streams.items():
            prev = streams.get(name)
            streams[name] = change if prev is None else prev.merge(change)
        initiator = self.initiator if self.initiator is later.initiator else None
        return ChangeSet(streams, self.outbox | later.outbox, initiator)


EMPTY = ChangeSet()
