"""Sends the outbox (models.outbox) to POST /api/v1/mutations; run by the sync loop before
every pull.

One round: take a batch (the oldest waiting write of each entity that is due; marked
inflight in the cache), send it, record the answers; again until nothing is due. What can
go wrong, and what happens:
- no answer (connection refused/reset/dropped, timeout, a cut or garbled body), 5xx, 429:
  the batch goes back to pending with an exponential backoff with jitter, never sooner
  than `Retry-After`; the same ids are sent again later (urllib3 does not retry POSTs, the
  outbox does), and the server answers `duplicate` for what had arrived. The error is
  raised on, so the loop's offline detection sees it.
- a 4xx other than 401/429 for a batch of several: each write is sent alone, so one bad
  write is parked `rejected` with the server's words and the others go through.
- 401: the writes go back to pending untouched (the session ends; they wait for the next).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from workstation.models import outbox
from workstation.models.writer import CacheWriter

from .client import StoreClient
from .errors import AuthExpired, PayloadError, RequestRejected, ServerFailure, SyncError

log = logging.getLogger(__name__)
MAX_ROUNDS = 1000  # one push never loops forever (each round sends at least one write)


@dataclass
class PushSummary:
    sent: int = 0
    applied: int = 0
    conflicts: int = 0
    rejected: int = 0
    rounds: int = 0


class Pusher:
    def __init__(self, client: StoreClient, writer: CacheWriter) -> None:
        self.client = client
        self.writer = writer
        self._recovered = False

    def push(self, *, reconnected: bool = False) -> PushSummary:
        """Send everything that is due. Raises SyncError when the server cannot be reached
        (the writes are safe in the outbox and retried later). `reconnected`: the server
        answers again after a failure, so writes held back by network trouble go now
        (those told to wait by a Retry-After keep waiting)."""
        if not self._recovered:
            self.writer.run(outbox.recover_inflight)
            self.writer.run(outbox.prune_done)  # applied writes older than a week
            self._recovered = True
        if reconnected:
            self.writer.run(outbox.make_due)
        summary = PushSummary()
        while summary.rounds < MAX_ROUNDS:
            self.writer.run(outbox.hold_stale)  # a reply the cache shows to be stale is held, not sent
            batch = self.writer.run(outbox.take_batch)
            if not batch:
                break
            summary.rounds += 1
            try:
                self._send(batch, summary)
            except BaseException as exc:
                # Whatever happened, nothing stays inflight (only rows still inflight change).
                self.writer.run(outbox.record_failure, [e.mutation_id for e in batch],
                                f"{type(exc).__name__}: {exc}", count_attempt=False)
                raise
        return summary

    def _send(self, batch: list[outbox.OutboxEntry], summary: PushSummary) -> None:
        ids = [e.mutation_id for e in batch]
        try:
            answers = self.client.push_mutations([e.wire() for e in batch])
        except AuthExpired:
            self.writer.run(outbox.record_failure, ids, "signed out before the change was sent",
                            count_attempt=False)
            raise
        except RequestRejected as exc:
            if len(batch) > 1:
                for e in batch:  # find the one the server refuses; the others go through
                    self._send([e], summary)
                return
            self.writer.run(outbox.reject_one, ids[0], exc.server_code or f"http_{exc.status}", str(exc))
            summary.rejected += 1
            return
        except (ServerFailure, PayloadError, SyncError) as exc:
            retry_after = exc.retry_after_s if isinstance(exc, ServerFailure) else None
            self.writer.run(outbox.record_failure, ids, f"{exc.code}: {exc}", retry_after_s=retry_after)
            raise
        self.writer.run(outbox.record_answers, [dict(a) for a in answers])
        summary.sent += len(batch)
        for a in answers:
            status = a.get("original", {}).get("status") if a["status"] == "duplicate" else a["status"]
            if status == "applied":
                summary.applied += 1
            elif status == "conflict":
                summary.conflicts += 1
            else:
                summary.rejected += 1
