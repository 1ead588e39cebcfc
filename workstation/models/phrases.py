"""Quick phrases (快捷短语) and their variables, over the cache (issue 10; docs/PROTOCOL.md
"Answering fast", docs/CLIENT-API.md `models.phrases`).

- The library: the team's phrases (`owner_agent_no` NULL) and the agent's own, synced in
  the `phrases` stream, plus the agent's writes not yet on the server (creates shown from
  the outbox until the pull brings them; edits patch the cached row through the outbox
  overlay; a waiting delete hides the row).
- `PhraseIndex` searches it as the agent types: every word must match (shortcut prefix >
  title > pinyin initials/syllables of the title > text > its pinyin > a "fuzzy"
  subsequence of the initials), ties by this agent's use (`phrase_use`, local only), then
  newest. The search forms (NFKC + case-folded text, pinyin) are made once per phrase
  version, so a keystroke costs one pass over ~2,000 small tuples.
- Filling a phrase's variables with this buyer's values is `models.phrase_fill`.
- Writer jobs for the kinds `phrase.create`, `phrase.update`, `phrase.delete` and
  `shop.settings` (registered with the outbox), `record_use` (local only).

No Qt here. Reads are one or two indexed queries; safe off the GUI thread.
"""
from __future__ import annotations

import re
import sqlite3
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Engine

from workstation.models import outbox, timefmt
from workstation.models.changes import ChangeSet, StreamChange
from workstation.models.db import read_with as _read, write_cursor
from workstation.models.outbox import Kind, OutboxError

# ---- the vocabulary (docs/PROTOCOL.md "Answering fast") -----------------------------------

CATEGORIES: dict[str, str] = {
    "bargain": "议价", "ship_faster": "催发货", "arrival": "到货时间", "logistics": "物流",
    "greeting": "问候", "farewell": "告别", "after_sales": "售后", "other": "其他",
}
VARIABLES: dict[str, str] = {
    "buyer_name": "买家姓名", "buyer_nick": "买家昵称", "order_no": "订单号", "order_status": "订单状态",
    "carrier": "快递公司", "tracking_no": "快递单号", "receiver_address": "收货地址", "sku_stock": "库存数量",
    "shop_name": "店铺名称", "agent_name": "客服名字", "cutoff_time": "截单时间",
}
ORDER_VARIABLES = frozenset({"order_no", "order_status", "carrier", "tracking_no", "receiver_address", "sku_stock"})
AUTO_REPLY_VARIABLES = ("shop_name", "buyer_nick")
ORDER_STATUS_LABELS: dict[str, str] = {
    "unpaid": "待付款", "paid": "已付款", "documents_made": "已打单", "shipped": "已发货",
    "completed": "交易成功", "closed": "已关闭", "refunding": "退款中", "refunded": "已退款",
}
# "Open" orders for the "which order?" choice: not completed, closed or refunded.
OPEN_STATUSES = ("unpaid", "paid", "documents_made", "shipped", "refunding")

MAX_TITLE_CHARS = 40
MAX_SHORTCUT_CHARS = 20
MAX_TEXT_CHARS = 500
AUTO_REPLY_MAX_LINES = 4
AUTO_REPLY_MAX_CHARS = 300
MAX_QUERY_CHARS = 100
MAX_QUERY_WORDS = 6

_BRACES = re.compile(r"\{([^{}]*)\}")
_SHORTCUT = re.compile(r"[a-z0-9]*")
_CUTOFF = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
_SPACES = re.compile(r"\s+")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")  # pinyin forms keep letters and digits only


def variables_in(text: str) -> list[str]:
    """The known variables of `text`, in order of first use, once each."""
    seen: dict[str, None] = {}
    for m in _BRACES.finditer(text or ""):
        if m.group(1) in VARIABLES:
            seen.setdefault(m.group(1))
    return list(seen)


def _unknown_braces(text: str, allowed: Iterable[str]) -> list[str]:
    allowed = set(allowed)
    return [m.group(0) for m in _BRACES.finditer(text) if m.group(1) not in allowed]


def _check_text(what: str, text: str, *, max_chars: int, allowed: Iterable[str]) -> None:
    if not isinstance(text, str):
        raise OutboxError(f"the {what} must be text")
    if "\x00" in text:
        raise OutboxError(f"the {what} contains a NUL character")
    if len(text) > max_chars:
        raise OutboxError(f"the {what} has {len(text)} characters; at most {max_chars}")
    allowed = tuple(allowed)
    unknown = _unknown_braces(text, allowed)
    if unknown:
        raise OutboxError(f"the {what} uses {', '.join(unknown[:3])}; the variables are "
                          f"{', '.join('{' + v + '}' for v in allowed)}")


def check_phrase(title: str, shortcut: str, text: str) -> None:
    """The server's rules for a phrase; raises OutboxError with a clear message."""
    if not isinstance(title, str) or not title.strip():
        raise OutboxError("the title is empty")
    _check_text("title", title, max_chars=MAX_TITLE_CHARS, allowed=())
    if not isinstance(shortcut, str) or len(shortcut) > MAX_SHORTCUT_CHARS or not _SHORTCUT.fullmatch(shortcut):
        raise OutboxError(f"the shortcut may only hold lower-case letters and digits (a-z, 0-9), "
                          f"at most {MAX_SHORTCUT_CHARS}")
    if not isinstance(text, str) or not text.strip():
        raise OutboxError("the text is empty")
    _check_text("text", text, max_chars=MAX_TEXT_CHARS, allowed=VARIABLES)


def auto_reply_lines(text: str) -> int:
    """Lines as the buyer sees them (a trailing newline starts a line too)."""
    return len(text.replace("\r\n", "\n").replace("\r", "\n").split("\n")) if text else 0


def check_auto_reply(text: str, *, enabled: bool = True) -> None:
    """The auto-reply's rules: at most 4 lines and 300 characters, only `{shop_name}` and
    `{buyer_nick}`; not empty while enabled. OutboxError otherwise."""
    if not isinstance(text, str):
        raise OutboxError("the auto-reply must be text")
    if enabled and not text.strip():
        raise OutboxError("the auto-reply is on but its text is empty")
    lines = auto_reply_lines(text)
    if lines > AUTO_REPLY_MAX_LINES:
        raise OutboxError(f"the auto-reply has {lines} lines; at most {AUTO_REPLY_MAX_LINES}")
    _check_text("auto-reply", text, max_chars=AUTO_REPLY_MAX_CHARS, allowed=AUTO_REPLY_VARIABLES)


def check_cutoff(cutoff_time: str) -> None:
    if not isinstance(cutoff_time, str) or not _CUTOFF.fullmatch(cutoff_time):
        raise OutboxError(f"the cut-off time must be HH:MM (00:00 to 23:59), not {str(cutoff_time)[:10]!r}")


# ---- the outbox kinds --------------------------------------------------------------------

PHRASE_FIELDS = ("category", "title", "shortcut", "text")
SETTINGS_FIELDS = ("auto_reply_enabled", "auto_reply_text", "cutoff_time")


def _no_state(status: str, state: dict) -> dict | None:
    """A create's answer carries the new phrase, not the agent's fields: nothing to overlay."""
    return None


def _delete_state(status: str, state: dict) -> dict | None:
    return state if status == "conflict" else None  # applied: `{}` (a tombstone follows)


# A create is addressed to the agent (`entity_id` = the agent's id, PROTOCOL): its outbox
# entity is the agent's row, whose fields it does not touch. `base_version` is always 0.
PHRASE_CREATE = Kind("phrase.create", "agents", (), "seq", answer_state=_no_state, conflict_holds=False)
# Edits and deletes share the phrase's overlay. A colleague's newer edit refuses ours
# ("a colleague changed it first"); it holds nothing back, the row shows theirs.
PHRASE_UPDATE = Kind("phrase.update", "phrases", PHRASE_FIELDS, "version", overlay="phrase", conflict_holds=False)
PHRASE_DELETE = Kind("phrase.delete", "phrases", PHRASE_FIELDS, "version", overlay="phrase",
                     answer_state=_delete_state, conflict_holds=False)
SHOP_SETTINGS = Kind("shop.settings", "shop_settings", SETTINGS_FIELDS, "version", conflict_holds=False)
outbox.register(PHRASE_CREATE, PHRASE_UPDATE, PHRASE_DELETE, SHOP_SETTINGS)

_WAITING = ("pending", "inflight", "conflict")


# ---- rows -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Phrase:
    id: int | None                  # None: a create not yet on the server
    mutation_id: str | None         # the agent's waiting write of it (create or edit), if any
    owner_agent_no: str | None
    team: bool
    category: str
    title: str
    shortcut: str
    text: str
    version: int                    # 0 for a create not yet on the server
    updated_by: str | None
    updated_at: datetime | None     # aware UTC
    uses: int = 0
    last_used_at: datetime | None = None
    status: str = "synced"          # "synced" | "queued" (a write of it waits) | "sending"

    @property
    def category_label(self) -> str:
        return CATEGORIES.get(self.category, self.category)

    @property
    def variables(self) -> list[str]:
        return variables_in(self.text)


@dataclass(frozen=True)
class PhraseMatch:
    phrase: Phrase
    score: int          # lower = better (the sum of each word's best rank)


@dataclass(frozen=True)
class ShopSettings:
    id: int
    version: int
    shop_name: str
    auto_reply_enabled: bool
    auto_reply_text: str
    cutoff_time: str
    updated_by: str | None
    updated_at: datetime | None
    status: str = "synced"          # "synced" | "saved" (waiting) | "rejected" (see `error`)
    error: str | None = None


_PHRASE_COLS = "p.id, p.owner_agent_no, p.category, p.title, p.shortcut, p.text, p.version, p.updated_by, p.updated_at"


def _phrase_rows(cur: sqlite3.Cursor, agent_no: str | None) -> list[Phrase]:
    """The library as the agent sees it: cached rows (overlay applied), waiting deletes
    hidden, waiting creates added; with this agent's use."""
    uses = {pid: (n, at) for pid, n, at in cur.execute("SELECT phrase_id, uses, last_used_at FROM phrase_use")}
    writes: dict[int, tuple[str, str]] = {}   # phrase id -> (mutation id, status) of its newest waiting edit
    hidden: set[int] = set()
    creates: list[outbox.OutboxEntry] = []
    for e in outbox.rows(cur, "kind IN (?, ?, ?) AND status IN ('pending', 'inflight', 'conflict', 'done')",
                         (PHRASE_CREATE.name, PHRASE_UPDATE.name, PHRASE_DELETE.name)):
        if e.kind == PHRASE_CREATE.name:
            creates.append(e)
        elif e.kind == PHRASE_DELETE.name and e.status != "conflict":
            hidden.add(e.entity_id)  # waiting, or applied with its tombstone still to come
        elif e.status in _WAITING:
            writes[e.entity_id] = (e.mutation_id, e.status)
    out: list[Phrase] = []
    for pid, owner, category, title, shortcut, text, version, by, at in cur.execute(
            f"SELECT {_PHRASE_COLS} FROM phrases p WHERE p.owner_agent_no IS NULL OR p.owner_agent_no = ?",
            (agent_no,)):
        if pid in hidden:
            continue
        n, last = uses.get(pid, (0, None))
        mid, status = writes.get(pid, (None, "synced"))
        out.append(Phrase(pid, mid, owner, owner is None, category, title, shortcut, text, version, by,
                          timefmt.from_db(at), n, timefmt.from_db(last),
                          "synced" if mid is None else ("sending" if status == "inflight" else "queued")))
    if creates:
        cached = {p.id for p in out} | hidden
        last_pull = _last_synced(cur, "phrases")
        for e in creates:
            phrase = _created_phrase(e, agent_no, cached, last_pull, uses)
            if phrase is not None:
                out.append(phrase)
    return out


def _last_synced(cur: sqlite3.Cursor, stream: str) -> datetime | None:
    row = cur.execute("SELECT last_synced_at FROM sync_state WHERE stream = ?", (stream,)).fetchone()
    return timefmt.from_db(row[0]) if row else None


def _created_phrase(e: outbox.OutboxEntry, agent_no: str | None, cached: set[int],
                    last_pull: datetime | None, uses: dict) -> Phrase | None:
    p = e.payload
    if e.status == "done":
        # Applied: shown from the answer until the pull that follows brings the row (a pull
        # after the answer that does not bring it means it is gone again).
        state = (e.result or {}).get("state") or {}
        pid = state.get("id")
        if not isinstance(pid, int) or pid in cached or (last_pull is not None and last_pull > e.updated_at):
            return None
        n, last = uses.get(pid, (0, None))
        return Phrase(pid, e.mutation_id, state.get("owner_agent_no"), state.get("owner_agent_no") is None,
                      str(state.get("category", p.get("category"))), str(state.get("title", p.get("title"))),
                      str(state.get("shortcut", p.get("shortcut"))), str(state.get("text", p.get("text"))),
                      int(state.get("version") or 1), state.get("updated_by"),
                      timefmt.from_db(state.get("updated_at")), n, timefmt.from_db(last), "synced")
    team = bool(p.get("team"))
    return Phrase(None, e.mutation_id, None if team else agent_no, team, p["category"], p["title"],
                  p["shortcut"], p["text"], 0, agent_no, e.created_at, 0, None,
                  "sending" if e.status == "inflight" else "queued")


def phrases(engine: Engine, agent_no: str | None) -> list[Phrase]:
    """The whole library as the agent sees it (the library dialog), team first, by title."""
    rows = _read(engine, lambda cur: _phrase_rows(cur, agent_no))
    return sorted(rows, key=lambda p: (not p.team, p.category, p.title))


# ---- search ------------------------------------------------------------------------------

def normalize(text: str) -> str:
    """NFKC (full-width → half-width, `　` → space), case-folded, single spaces."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text or "").casefold()).strip()


def _pinyin(text: str) -> tuple[str, str]:
    """(initials, whole syllables) of `text`, lower case, no spaces: 快递单号 → ('kddh', 'kuaididanhao')."""
    from workstation.models.pinyin import lazy_pinyin  # noqa: PLC0415 (lazy: its dictionaries take a while)

    plain = _BRACES.sub(" ", text)
    initials = "".join(lazy_pinyin(plain, initials=True))
    whole = "".join(lazy_pinyin(plain))
    return _NOT_ALNUM.sub("", initials.casefold()), _NOT_ALNUM.sub("", whole.casefold())


@dataclass(frozen=True)
class _Forms:
    """What a phrase is searched by (made once per phrase version)."""

    shortcut: str
    title: str
    text: str
    title_initials: str
    title_syllables: str
    text_initials: str
    text_syllables: str
    haystack: str  # all of the above: one `in` rules most phrases out
    fuzzy: str     # what a subsequence may match: the title's initials and the shortcut


def _forms(p: Phrase) -> _Forms:
    ti, tw = _pinyin(p.title)
    xi, xw = _pinyin(p.text[:200])  # the start of a long text is what an agent remembers
    title, text = normalize(p.title), normalize(_BRACES.sub(" ", p.text))  # not the variables' names
    hay = "\x00".join((p.shortcut, title, ti, tw, text, xi, xw))
    return _Forms(p.shortcut, title, text, ti, tw, xi, xw, hay, f"{ti}\x00{p.shortcut}")


# Ranks of a word's match (lower is better; a phrase's score sums its words' best ranks).
R_SHORTCUT_EXACT, R_SHORTCUT, R_TITLE, R_TITLE_PINYIN, R_TEXT, R_TEXT_PINYIN, R_FUZZY = range(7)
_NO_MATCH = 99


def _is_pinyinish(word: str) -> bool:
    return word.isascii() and word.isalpha()


def _fuzzy_pattern(word: str) -> re.Pattern | None:
    """`kd` → k…d within the title's initials or the shortcut (a subsequence)."""
    if len(word) < 2:
        return None
    return re.compile("[^\x00]*?".join(re.escape(c) for c in word))


def _word_rank(f: _Forms, w: str, pinyinish: bool, fuzzy: re.Pattern | None) -> int:
    if w not in f.haystack:
        return R_FUZZY if fuzzy is not None and fuzzy.search(f.fuzzy) else _NO_MATCH
    if f.shortcut:
        if f.shortcut == w:
            return R_SHORTCUT_EXACT
        if f.shortcut.startswith(w):
            return R_SHORTCUT
    if w in f.title:
        return R_TITLE
    if pinyinish and (w in f.title_initials or w in f.title_syllables):
        return R_TITLE_PINYIN
    if w in f.text:
        return R_TEXT
    if pinyinish and (w in f.text_initials or w in f.text_syllables):
        return R_TEXT_PINYIN
    return R_FUZZY if fuzzy is not None and fuzzy.search(f.fuzzy) else _NO_MATCH


def query_words(query: str) -> list[str]:
    """The words of a query as the search takes them (NFKC, case-folded, ≤ 100 chars, ≤ 6 words)."""
    words = normalize(query)[:MAX_QUERY_CHARS].split()
    return list(dict.fromkeys(words))[:MAX_QUERY_WORDS]


def _key(p: Phrase) -> tuple:
    return (p.id, p.mutation_id, p.version, p.category, p.title, p.shortcut, p.text)


class PhraseIndex:
    """The agent's phrase library, searchable as they type. `refresh()` re-reads the cache
    (after a `phrases`, `phrase_use` or outbox change; cheap when nothing moved); `search()`
    reads only memory. Thread-safe: a search sees one consistent library."""

    def __init__(self, engine: Engine, agent_no: str | None) -> None:
        self.engine = engine
        self.agent_no = agent_no
        self._lock = threading.Lock()
        self._entries: tuple[tuple[Phrase, _Forms], ...] = ()
        self._forms: dict[tuple, _Forms] = {}
        self._mark: tuple | None = None
        self.loads = 0  # how many times the library was re-read (tests, bench)

    def _signature(self, cur: sqlite3.Cursor) -> tuple:
        return (cur.execute("SELECT count(*), max(seq) FROM phrases").fetchone(),
                cur.execute("SELECT count(*), max(last_used_at), sum(uses) FROM phrase_use").fetchone(),
                cur.execute("SELECT count(*), max(updated_at), max(ordinal), total(status = 'done'), "
                            "total(status = 'rejected'), total(status = 'inflight') FROM outbox WHERE kind IN (?, ?, ?)",
                            (PHRASE_CREATE.name, PHRASE_UPDATE.name, PHRASE_DELETE.name)).fetchone(),
                _last_synced(cur, "phrases"))

    def refresh(self, *, force: bool = False) -> bool:
        """Re-read the library when it moved; True when it did."""
        def read(cur: sqlite3.Cursor) -> tuple[tuple, list[Phrase] | None]:
            mark = self._signature(cur)
            if not force and mark == self._mark:
                return mark, None
            return mark, _phrase_rows(cur, self.agent_no)
        mark, rows = _read(self.engine, read)
        if rows is None:
            return False
        forms = {}
        entries = []
        for p in rows:
            k = _key(p)
            f = self._forms.get(k) or _forms(p)
            forms[k] = f
            entries.append((p, f))
        with self._lock:
            self._entries, self._forms, self._mark = tuple(entries), forms, mark
            self.loads += 1
        return True

    def ensure(self) -> None:
        if self._mark is None:
            self.refresh()

    def __len__(self) -> int:
        return len(self._entries)

    def search(self, query: str, limit: int = 20) -> list[PhraseMatch]:
        """Every word must match; best first (see the module's doc). An empty query lists
        the most used (then newest)."""
        self.ensure()
        with self._lock:
            entries = self._entries
        words = query_words(query)
        if limit <= 0:
            return []
        if not words:
            ranked = sorted(entries, key=lambda e: _tie(e[0]))
            return [PhraseMatch(p, 0) for p, _ in ranked[:limit]]
        kinds = [(w, p, _fuzzy_pattern(w) if p else None) for w, p in ((w, _is_pinyinish(w)) for w in words)]
        scored: list[tuple[int, tuple, Phrase]] = []
        for p, f in entries:
            total = 0
            for w, pinyinish, fuzzy in kinds:
                r = _word_rank(f, w, pinyinish, fuzzy)
                if r == _NO_MATCH:
                    break
                total += r
            else:
                scored.append((total, _tie(p), p))
        scored.sort(key=lambda s: (s[0], s[1]))
        return [PhraseMatch(p, score) for score, _, p in scored[:limit]]


def _tie(p: Phrase) -> tuple:
    """Most used first, then last used, then newest."""
    last = p.last_used_at.timestamp() if p.last_used_at else 0.0
    at = p.updated_at.timestamp() if p.updated_at else 0.0
    return (-p.uses, -last, -at, -(p.id or 1 << 62))


# ---- writes (writer jobs) -------------------------------------------------------------------

def _txn(engine: Engine, what: str):
    return write_cursor(engine, what)


def _check_category(category: str) -> None:
    if category not in CATEGORIES:
        raise OutboxError(f"unknown category {str(category)[:20]!r}; expected one of {', '.join(CATEGORIES)}")


def create_phrase(engine: Engine, *, team: bool, category: str, title: str, shortcut: str, text: str,
                  agent_id: int, agent_no: str | None = None, initiator: object = None,
                  now: datetime | None = None) -> ChangeSet:
    """A new phrase (the team's: managers only, the server checks; else the agent's own),
    shown in the library at once and sent when the network allows. `agent_no` is unused
    (kept for symmetry with the other writes)."""
    _check_category(category)
    check_phrase(title, shortcut, text)
    payload = {"team": bool(team), "category": category, "title": title, "shortcut": shortcut, "text": text}
    with _txn(engine, "save the phrase") as cur:
        if cur.execute("SELECT 1 FROM agents WHERE id = ?", (agent_id,)).fetchone() is None:
            raise OutboxError("the shop's staff list is not loaded yet; try again after the first sync")
        mid = outbox.record_in(cur, PHRASE_CREATE, agent_id, payload, {}, now=now, base_version=0)
        cur.execute("UPDATE outbox SET base_version = 0 WHERE mutation_id = ?", (mid,))  # creates: always 0
    # The new phrase has no id yet: "the list may have changed" is what a pane can act on.
    return ChangeSet.of(StreamChange("phrases", reloaded=True), outbox={mid}, initiator=initiator)


def _waiting_create(cur: sqlite3.Cursor, mutation_id: str) -> outbox.OutboxEntry:
    rows = outbox.rows(cur, "mutation_id = ? AND kind = ?", (mutation_id, PHRASE_CREATE.name))
    if not rows:
        raise OutboxError("no such new phrase waiting to be sent")
    if rows[0].status != "pending":
        raise OutboxError("this phrase is being sent right now; try again in a moment")
    return rows[0]


def update_phrase(engine: Engine, phrase_id: int | str, *, category: str, title: str, shortcut: str,
                  text: str, initiator: object = None, now: datetime | None = None) -> ChangeSet:
    """Edit a phrase: the cached row shows it at once. `phrase_id` may also be the mutation
    id of a create still waiting (its payload is rewritten: one create goes out)."""
    _check_category(category)
    check_phrase(title, shortcut, text)
    fields = {"category": category, "title": title, "shortcut": shortcut, "text": text}
    with _txn(engine, "save the phrase") as cur:
        if isinstance(phrase_id, str):
            e = _waiting_create(cur, phrase_id)
            cur.execute("UPDATE outbox SET payload = ?, updated_at = ? WHERE mutation_id = ?",
                        (outbox._dump({**e.payload, **fields}), timefmt.to_db(now or timefmt.utc_now()), phrase_id))
            return ChangeSet.of(StreamChange("phrases", reloaded=True), outbox={phrase_id}, initiator=initiator)
        if cur.execute("SELECT 1 FROM phrases WHERE id = ?", (phrase_id,)).fetchone() is None:
            raise OutboxError(f"no phrase {phrase_id} in the cache")
        mid = outbox.record_in(cur, PHRASE_UPDATE, phrase_id, fields, fields, now=now)
    return ChangeSet.of(StreamChange("phrases", upserted=frozenset({phrase_id})), outbox={mid}, initiator=initiator)


def delete_phrase(engine: Engine, phrase_id: int | str, *, initiator: object = None,
                  now: datetime | None = None) -> ChangeSet:
    """Delete a phrase: hidden at once, deleted on the server when the network allows. A
    create still waiting (its mutation id as `phrase_id`) is simply dropped."""
    if isinstance(phrase_id, str):
        with _txn(engine, "delete the phrase") as cur:
            _waiting_create(cur, phrase_id)
        return outbox.discard(engine, phrase_id, initiator=initiator)
    with _txn(engine, "delete the phrase") as cur:
        if cur.execute("SELECT 1 FROM phrases WHERE id = ?", (phrase_id,)).fetchone() is None:
            raise OutboxError(f"no phrase {phrase_id} in the cache")
        mid = outbox.record_in(cur, PHRASE_DELETE, phrase_id, {}, {}, now=now)
    return ChangeSet.of(StreamChange("phrases", upserted=frozenset({phrase_id})), outbox={mid}, initiator=initiator)


def record_use(engine: Engine, phrase_id: int | None, *, now: datetime | None = None,
               initiator: object = None) -> ChangeSet:
    """The agent inserted this phrase (local only: the picker's ranking). A create not yet
    on the server (`None`) is not counted."""
    if phrase_id is None:
        return ChangeSet()
    stamp = timefmt.to_db(now or timefmt.utc_now())
    with _txn(engine, "count the phrase's use") as cur:
        cur.execute("INSERT INTO phrase_use (phrase_id, uses, last_used_at) VALUES (?, 1, ?) "
                    "ON CONFLICT(phrase_id) DO UPDATE SET uses = uses + 1, last_used_at = excluded.last_used_at",
                    (phrase_id, stamp))
    return ChangeSet.of(StreamChange("phrase_use", upserted=frozenset({phrase_id})), initiator=initiator)


# ---- shop settings -----------------------------------------------------------------------------

def shop_settings(engine: Engine) -> ShopSettings | None:
    """The shop's settings as the agent sees them (a waiting save applied), None before the
    first sync brought them."""
    def read(cur: sqlite3.Cursor) -> ShopSettings | None:
        row = cur.execute("SELECT id, version, shop_name, auto_reply_enabled, auto_reply_text, cutoff_time, "
                          "updated_by, updated_at FROM shop_settings ORDER BY id LIMIT 1").fetchone()
        if row is None:
            return None
        sid, version, name, enabled, text, cutoff, by, at = row
        settings = ShopSettings(sid, version, name, bool(enabled), text, cutoff, by, timefmt.from_db(at))
        last = outbox.rows(cur, "kind = ? AND entity_id = ? AND status != 'done'", (SHOP_SETTINGS.name, sid))
        if last:
            e = last[-1]
            status = "saved" if e.status in ("pending", "inflight") else "rejected"
            settings = replace(settings, status=status, error=e.last_error if status == "rejected" else None)
        return settings
    return _read(engine, read)


def save_settings(engine: Engine, *, auto_reply_enabled: bool, auto_reply_text: str, cutoff_time: str,
                  initiator: object = None, now: datetime | None = None) -> ChangeSet:
    """The manager's save of the shop settings (the server refuses it for an agent)."""
    if not isinstance(auto_reply_enabled, bool):
        raise OutboxError("auto_reply_enabled must be true or false")
    check_auto_reply(auto_reply_text, enabled=auto_reply_enabled)
    check_cutoff(cutoff_time)
    fields = {"auto_reply_enabled": auto_reply_enabled, "auto_reply_text": auto_reply_text,
              "cutoff_time": cutoff_time}
    with _txn(engine, "save the shop settings") as cur:
        row = cur.execute("SELECT id FROM shop_settings ORDER BY id LIMIT 1").fetchone()
        if row is None:
            raise OutboxError("the shop settings are not loaded yet; try again after the first sync")
        mid = outbox.record_in(cur, SHOP_SETTINGS, row[0], fields, fields, now=now)
    return ChangeSet.of(StreamChange("shop_settings", upserted=frozenset({row[0]})), outbox={mid},
                        initiator=initiator)
