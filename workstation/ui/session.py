"""The agent's session: sign-in (dialog, remembered token or direct), the open cache and the
sync worker. It owns no widgets except the sign-in dialog; panes listen to its signals.

- Remember-me start: the token comes from the keychain and the cache is opened from the
  identity kept in settings, so lookups work at once, also offline; `me()` validates the
  token in the background.
- A rejected token (at start or from the sync worker) brings the sign-in dialog back with
  "session expired"; the window and the cache stay. Tokens slide on the server while in use,
  so that happens only when the account was disabled, signed out elsewhere, or left unused.
- Every write to the open cache goes through its writer; `events` re-emits what each write
  changed on the GUI thread (`ui/events.py`), and panes subscribe to it.
- Nothing here waits for a thread: stopping sync, signing out and shutting down only ask.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from workstation import credentials
from workstation.settings import AgentIdentity, Settings
from workstation.sync.errors import AuthExpired, BadCredentials, ServerUnreachable, SyncError
from workstation.ui.errors import describe_error
from workstation.ui.events import CacheEvents
from workstation.ui.sign_in import SignInDialog, SignInResult, default_authenticate
from workstation.ui.sync_worker import SyncWorker
from workstation.ui.tasks import TaskRunner
from workstation.ui.writes import WriteSubmitter

log = logging.getLogger(__name__)

COUNT_REFRESH_S = 2.0
LOGOUT_TIMEOUT = (2.0, 5.0)  # sign-out must not hold a worker for long on a hanging network
WORKER_RESTART_MS = 10_000


@dataclass(frozen=True)
class Session:
    server_url: str
    login: str
    identity: AgentIdentity
    token: str | None  # in memory; in the keychain only with remember-me


def _validate_token(server_url: str, token: str):
    from workstation.sync.client import StoreClient  # noqa: PLC0415

    client = StoreClient(server_url, token=token)
    try:
        return client.me()
    finally:
        client.close()


def _open_cache(session: Session, report: Callable[[str, int, int], None] | None = None):
    """Opens (and upgrades) the session's cache file; `report(stage, done, total)` with stage
    "backup" (the copy made before an upgrade) or "upgrade" (a long migration step)."""
    from workstation.models.db import open_cache  # noqa: PLC0415 (lazy: SQLAlchemy)
    from workstation.models.paths import cache_path  # noqa: PLC0415

    path = cache_path(session.server_url, session.identity.shop_id, session.login)
    if report is None:
        return open_cache(path)
    return open_cache(path, progress=lambda done, total: report("upgrade", done, total),
                      backup_progress=lambda done, total: report("backup", done, total))


def _cache_stats(engine) -> tuple[int, object]:
    from workstation.models.search import count_orders  # noqa: PLC0415
    from workstation.models.state import last_synced_at  # noqa: PLC0415

    return count_orders(engine), last_synced_at(engine)


class SessionController(QObject):
    engine_changed = Signal(object)  # SQLAlchemy Engine of the open cache, or None
    identity_changed = Signal(object)  # AgentIdentity or None
    connection_changed = Signal(str)  # connecting/syncing/online/offline/expired/signed_out
    last_synced_changed = Signal(object)  # datetime or None
    first_sync_progress = Signal(object)  # fraction 0..1, or None when not in a first load
    # While an older cache file is upgraded: (stage "backup" | "upgrade", fraction 0..1);
    # None once the cache is open (or failed to open).
    cache_upgrade_progress = Signal(object)
    order_count_changed = Signal(int)
    message = Signal(str, bool)  # text, is_error
    last_failure_changed = Signal(object)  # models.state.SyncFailure or None (from the cache)
    quit_requested = Signal()  # sign-in cancelled and there is nothing to show

    def __init__(self, settings: Settings, parent_widget: QWidget | None = None, *,
                 authenticate: Callable | None = None, validate: Callable | None = None,
                 open_cache: Callable | None = None, cache_stats: Callable | None = None,
                 sync_worker_factory: Callable | None = None) -> None:
        super().__init__(parent_widget)
        self.settings = settings
        self._parent_widget = parent_widget
        self._authenticate = authenticate or default_authenticate
        self._validate = validate or _validate_token
        self._open_cache = open_cache or (lambda session: _open_cache(session, self._report_upgrade))
        self._upgrade_shown: tuple[str, int] | None = None
        self._cache_stats = cache_stats or _cache_stats
        self._sync_worker_factory = sync_worker_factory or SyncWorker
        self.runner = TaskRunner(self, max_threads=2, name="session")
        self.events = CacheEvents(self)
        self.events.changed.connect(self._on_cache_changed)
        self.session: Session | None = None
        self.cache = None
        self.sync_worker: SyncWorker | None = None
        self.dialog: SignInDialog | None = None
        self.state = "signed_out"
        self._sync_wanted = False
        self._sync_message_shown = False
        self._count_in_flight = False
        self._count_again = False
        self._count_at = 0.0
        self._count_timer = QTimer(self)
        self._count_timer.setSingleShot(True)
        self._count_timer.timeout.connect(self._refresh_stats)
        self._shutting_down = False
        # The panes' writes (replies, claim, …): on the cache writer, then sync is woken.
        self.submit_write = WriteSubmitter(self.runner, self._writer, after=self.sync_now,
                                           report=lambda text: self.message.emit(text, True))
        self._presence_client = None  # (server_url, token, StoreClient)

    def _writer(self):
        return self.cache.writer if self.cache is not None else None

    @property
    def agent_no(self) -> str:
        return self.session.identity.agent_no if self.session is not None else ""

    def presence_client(self):
        """A StoreClient for presence calls (one worker uses it at a time), or None while
        not online: presence is best effort and never waits for a connection."""
        session = self.session
        if session is None or not session.token or self.state not in ("online", "syncing"):
            return None
        held = self._presence_client
        if held is not None and held[:2] == (session.server_url, session.token):
            return held[2]
        from workstation.sync.client import StoreClient  # noqa: PLC0415 (loaded by sync already)

        if held is not None:
            held[2].close()
        client = StoreClient(session.server_url, token=session.token, timeout=(2.0, 3.0))
        self._presence_client = (session.server_url, session.token, client)
        return client

    # start-up ---------------------------------------------------------------------
    def start(self, *, direct: tuple[str, str, str] | None = None) -> None:
        """`direct` = (server_url, login, password) signs in without the dialog (demo)."""
        if direct is not None:
            self.sign_in_direct(*direct)
            return
        s = self.settings
        identity = s.identity
        if s.remember and s.server_url and s.login and identity is not None:
            url, login = s.server_url, s.login
            # The cache opens at once from the remembered identity (lookups work offline);
            # the keychain is read meanwhile, then the token is checked with the server.
            self._set_state("connecting")
            self._use_session(Session(url, login, identity, None), start_sync=False)
            self.runner.submit(lambda: credentials.load_token(url, login),
                               on_done=lambda token: self._resume(url, login, token),
                               on_error=lambda exc: self._keychain_failed(url, login, exc))
        else:
            self.show_sign_in()

    def _resume(self, server_url: str, login: str, token: str | None) -> None:
        if self.session is None or (self.session.server_url, self.session.login) != (server_url, login):
            return
        if not token:
            self._set_state("signed_out")
            self.show_sign_in()
            return
        self.session = replace(self.session, token=token)
        self.runner.submit(lambda: self._validate(server_url, token),
                           on_done=self._on_token_valid, on_error=self._on_token_check_failed)

    def _keychain_failed(self, server_url: str, login: str, exc: BaseException) -> None:
        """The keychain could not be read (`CredentialStoreError`): say so - it is not "no
        saved sign-in" - keep the cache open for lookups, and ask for the password."""
        if self.session is None or (self.session.server_url, self.session.login) != (server_url, login):
            return
        self._set_state("signed_out")
        self.show_sign_in(describe_error(exc, server_url), server_url=server_url, login=login)

    def _on_token_valid(self, agent) -> None:
        if self.session is None:
            return
        identity = AgentIdentity.from_agent(agent)
        if identity.shop_id != self.session.identity.shop_id:
            # The account moved to another shop: that is another cache file.
            self._use_session(replace(self.session, identity=identity), start_sync=True)
            return
        self.session = replace(self.session, identity=identity)
        self.settings.identity = identity
        self.identity_changed.emit(identity)
        self._start_sync()

    def _on_token_check_failed(self, exc: BaseException) -> None:
        if self.session is None:
            return
        if isinstance(exc, (AuthExpired, BadCredentials)):
            self.expire()
            return
        # Unreachable or server trouble: keep working from the cache; the sync loop retries
        # with backoff and goes online by itself when the server answers.
        self._set_state("offline")
        self.message.emit(describe_error(exc, self.session.server_url), False)
        self._start_sync()

    # sign-in ------------------------------------------------------------------------
    def sign_in_direct(self, server_url: str, login: str, password: str) -> None:
        self._set_state("connecting")
        self.runner.submit(lambda: self._authenticate(server_url, login, password),
                           on_done=lambda resp: self._on_signed_in(SignInResult(
                               server_url=server_url, login=login, remember=False,
                               token=resp.token, agent=resp.agent)),
                           on_error=lambda exc: self.show_sign_in(describe_error(exc, server_url),
                                                                  server_url=server_url, login=login))

    def show_sign_in(self, message: str = "", *, server_url: str | None = None, login: str | None = None) -> None:
        if self._shutting_down:
            return
        if self.dialog is not None and self.dialog.isVisible():
            if message:
                self.dialog.show_message(message)
            self.dialog.raise_()
            self.dialog.activateWindow()
            return
        s = self.settings
        self.dialog = SignInDialog(self._parent_widget, self.runner, authenticate=self._authenticate,
                                   server_url=server_url if server_url is not None else s.server_url,
                                   login=login if login is not None else s.login,
                                   remember=s.remember if s.server_url else True, message=message)
        self.dialog.signed_in.connect(self._on_signed_in)
        self.dialog.rejected.connect(self._on_sign_in_cancelled)
        self.dialog.open()

    def expire(self) -> None:
        """The server rejected the token: forget it, keep the window and the cache."""
        self._stop_sync()
        session = self.session
        if session is None:
            self.show_sign_in()
            return
        self.session = replace(session, token=None)
        url, login = session.server_url, session.login
        self.runner.submit(lambda: credentials.delete_token(url, login))
        self._set_state("expired")
        self.show_sign_in(describe_error(AuthExpired()), server_url=url, login=login)

    def sign_out(self) -> None:
        self._stop_sync()
        session = self.session
        if session is not None:
            url, login, token = session.server_url, session.login, session.token
            self.runner.submit(lambda: _logout_quietly(url, login, token))
        self._close_cache()
        self.session = None
        self.identity_changed.emit(None)
        self._set_state("signed_out")
        self.show_sign_in()

    def _on_signed_in(self, result: SignInResult) -> None:
        identity = AgentIdentity.from_agent(result.agent)
        s = self.settings
        s.server_url, s.login, s.remember, s.identity = result.server_url, result.login, result.remember, identity
        s.sync()
        url, login, token = result.server_url, result.login, result.token
        if result.remember:
            self.runner.submit(lambda: credentials.save_token(url, login, token),
                               on_error=lambda exc: self.message.emit(
                                   self.tr("Could not save the sign-in in the system keychain: %1").replace(
                                       "%1", str(exc)), True))
        else:
            self.runner.submit(lambda: credentials.delete_token(url, login))
        self.message.emit("", False)
        self._use_session(Session(url, login, identity, token), start_sync=True)

    def _on_sign_in_cancelled(self) -> None:
        if self.session is None and self.cache is None:
            self.quit_requested.emit()
        elif self.session is not None and not self.session.token:
            self.message.emit(self.tr("Not signed in: lookups use the local cache. "
                                      "Sign in again from the agent menu."), False)

    # cache and sync -----------------------------------------------------------------
    def _use_session(self, session: Session, *, start_sync: bool) -> None:
        same_cache = (self.session is not None and self.cache is not None
                      and _cache_key(self.session) == _cache_key(session))
        self._stop_sync()
        self.session = session
        self._sync_wanted = False
        self.identity_changed.emit(session.identity)
        if same_cache:
            if start_sync:
                self._start_sync()
            return
        self._close_cache()
        self.runner.submit(lambda: self._open_cache(session),
                           on_done=lambda cache: self._on_cache_opened(session, cache, start_sync),
                           on_error=self._on_cache_failed)

    def _report_upgrade(self, stage: str, done: int, total: int) -> None:
        """Called on the opening thread; the signal reaches the window queued. Only a new
        whole percent is sent (a million-order rebuild reports thousands of steps)."""
        fraction = min(1.0, done / total) if total > 0 else 1.0
        shown = (stage, int(fraction * 100))
        if shown != self._upgrade_shown:
            self._upgrade_shown = shown
            self.cache_upgrade_progress.emit((stage, fraction))

    def _upgrade_done(self) -> None:
        if self._upgrade_shown is not None:
            self._upgrade_shown = None
            self.cache_upgrade_progress.emit(None)

    def _on_cache_opened(self, session: Session, cache, start_sync: bool) -> None:
        self._upgrade_done()
        if self.session is None or _cache_key(self.session) != _cache_key(session) or self._shutting_down:
            cache.close()
            return
        self.cache = cache
        self.events.attach(cache.writer)
        self.engine_changed.emit(cache.engine)
        self._refresh_stats(force=True)
        self._load_last_failure()
        if start_sync or self._sync_wanted:
            self._start_sync()

    def _load_last_failure(self) -> None:
        """"Last sync failed at 14:05: …" survives a restart: read it from the cache."""
        from workstation.models.state import last_failure  # noqa: PLC0415 (lazy: SQLAlchemy)

        engine = self.cache.engine
        self.runner.submit(lambda: last_failure(engine), on_done=self.last_failure_changed.emit,
                           on_error=lambda exc: log.warning("could not read the last sync failure: %s", exc))

    def _on_cache_failed(self, exc: BaseException) -> None:
        self._upgrade_done()
        self.message.emit(self.tr("The local cache could not be opened: %1").replace("%1", str(exc)), True)

    def _start_sync(self) -> None:
        session = self.session
        if session is None or not session.token or self._shutting_down:
            return
        if self.cache is None:
            self._sync_wanted = True  # the token was checked before the cache finished opening
            return  # starts from _on_cache_opened
        if self.sync_worker is not None and self.sync_worker.is_running():
            return
        worker = self._sync_worker_factory(session.server_url, session.token, self.cache.writer, self)
        worker.state_changed.connect(self._set_state)
        worker.progress.connect(self._on_progress)
        worker.synced.connect(self._on_synced)
        worker.failed.connect(self._on_sync_failed)
        worker.auth_expired.connect(lambda _exc: self.expire())
        worker.finished.connect(self._on_worker_finished)
        self.sync_worker = worker
        worker.start()

    def _on_worker_finished(self, reason: str) -> None:
        """The loop restarts itself after bugs; only a failure to even start it ends the
        worker ("crashed"): try again shortly rather than leave the agent without sync."""
        if reason == "crashed" and not self._shutting_down:
            self.sync_worker = None
            QTimer.singleShot(WORKER_RESTART_MS, self._start_sync)

    def sync_now(self) -> None:
        """The agent asked: pull now (also ends an offline backoff wait), or start sync."""
        if self.sync_worker is not None and self.sync_worker.is_running():
            self.sync_worker.wake()
        else:
            self._start_sync()

    def _stop_sync(self) -> None:
        """Ask the sync loop to end; never waits (its thread finishes on its own)."""
        worker, self.sync_worker = self.sync_worker, None
        if worker is None:
            return
        # What a stopping worker still says belongs to the session it was started for.
        for signal in (worker.state_changed, worker.progress, worker.synced, worker.failed,
                       worker.auth_expired, worker.finished):
            signal.disconnect()
        worker.stop()
        worker.finished.connect(worker.deleteLater)
        if not worker.is_running():
            worker.deleteLater()

    def _close_cache(self) -> None:
        cache, self.cache = self.cache, None
        if cache is not None:
            self.events.detach()
            self.engine_changed.emit(None)
            cache.close()

    def _on_progress(self, progress) -> None:
        self.first_sync_progress.emit(progress.fraction)

    def _on_cache_changed(self, changes) -> None:
        if changes.get("orders") is not None:
            self._refresh_stats()

    def _on_synced(self, when) -> None:
        self.first_sync_progress.emit(None)
        self.last_synced_changed.emit(when)
        if self._sync_message_shown:  # clear only what sync said (not e.g. a keychain warning)
            self._sync_message_shown = False
            self.last_failure_changed.emit(None)
            self.message.emit("", False)

    def _on_sync_failed(self, exc: BaseException) -> None:
        from workstation.models.state import SyncFailure  # noqa: PLC0415 (loaded by sync already)
        from workstation.models.timefmt import utc_now  # noqa: PLC0415

        url = self.session.server_url if self.session else ""
        self._sync_message_shown = True
        self.message.emit(describe_error(exc, url), not isinstance(exc, ServerUnreachable))
        code = exc.code if isinstance(exc, SyncError) else type(exc).__name__
        self.last_failure_changed.emit(SyncFailure(utc_now(), f"{code}: {exc}"))

    def _refresh_stats(self, *, force: bool = False) -> None:
        """Count cached orders in the background: at once, then at most every COUNT_REFRESH_S
        (a change inside that time is counted when it is over, so the last count is right)."""
        if self.cache is None:
            return
        if self._count_in_flight:
            self._count_again = True
            return
        wait = self._count_at + COUNT_REFRESH_S - time.monotonic()
        if not force and wait > 0:
            if not self._count_timer.isActive():
                self._count_timer.start(int(wait * 1000) + 1)
            return
        self._count_in_flight = True
        self._count_again = False
        self._count_at = time.monotonic()
        engine, stats = self.cache.engine, self._cache_stats

        def finished() -> None:
            self._count_in_flight = False
            if self._count_again:
                self._refresh_stats()

        def done(result) -> None:
            count, synced_at = result
            self.order_count_changed.emit(int(count))
            self.last_synced_changed.emit(synced_at)
            finished()

        def failed(_exc) -> None:
            finished()

        self.runner.submit(lambda: stats(engine), on_done=done, on_error=failed)

    def _set_state(self, state: str) -> None:
        self.state = state
        self.connection_changed.emit(state)

    # shutdown -----------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop everything without waiting: the window can close at once, also while the
        network hangs (`app.main` gives the threads a bounded moment after the window is gone)."""
        self._shutting_down = True
        if self.dialog is not None:
            self.dialog.close()
        self._stop_sync()
        self.runner.shutdown()
        self.events.detach()
        held, self._presence_client = self._presence_client, None
        if held is not None:
            held[2].abort()
        cache, self.cache = self.cache, None
        if cache is not None:
            cache.close()


def _cache_key(session: Session) -> tuple[str, str, int]:
    return session.server_url, session.login, session.identity.shop_id


def _logout_quietly(server_url: str, login: str, token: str | None) -> None:
    credentials.delete_token(server_url, login)
    if not token:
        return
    from workstation.sync.client import StoreClient  # noqa: PLC0415

    client = StoreClient(server_url, token=token, timeout=LOGOUT_TIMEOUT)
    try:
        client.logout()
    except Exception:  # noqa: BLE001 - offline sign-out still forgets the token locally
        pass
    finally:
        client.close()
