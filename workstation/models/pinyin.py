"""pypinyin, loaded without stalling the window.

pypinyin reads its dictionaries when imported: `json.loads` of a 2.5 MB phrase dictionary
(and a 0.8 MB one of single characters), which runs in C holding the interpreter lock. On a
worker thread during a first sync that froze the window for 150-300 ms (bench/stall.py:
the thread importing it was the one holding the lock while the GUI thread waited). Here the
same JSON files are parsed in pieces of a few thousand entries (a few ms each, the lock
free between them) and handed to pypinyin as its dictionary modules; if anything about them
is not as expected, pypinyin loads them itself, as before.
"""
from __future__ import annotations

import importlib.util
import json
import logging
import re
import sys
import threading
import types
from pathlib import Path

log = logging.getLogger(__name__)

_ENTRY = re.compile(r'^"[^"\n]*": ', re.M)  # a top-level key of the dictionaries' JSON (one per line)
_PIECE = 2000  # entries parsed at once (~100 KB of JSON: a few ms)
_lock = threading.Lock()
_ready = False


def load_in_pieces(path: Path, piece: int = _PIECE) -> dict:
    """The JSON object in `path` (one top-level key per line), parsed a piece at a time."""
    text = path.read_text(encoding="utf-8").strip()
    if not (text.startswith("{") and text.endswith("}")):
        raise ValueError(f"{path.name}: not a JSON object")
    body = text[1:-1]
    starts = [m.start() for m in _ENTRY.finditer(body)]
    if not starts or body[:starts[0]].strip():
        raise ValueError(f"{path.name}: not one key per line")
    out: dict = {}
    for i in range(0, len(starts), piece):
        end = starts[i + piece] if i + piece < len(starts) else len(body)
        chunk = body[starts[i]:end].rstrip().rstrip(",")
        out.update(json.loads("{" + chunk + "}"))
    if len(out) != len(starts):
        raise ValueError(f"{path.name}: {len(out)} entries for {len(starts)} keys")
    return out


def _preload() -> None:
    """Put pypinyin's two dictionary modules in place before pypinyin imports them."""
    if "pypinyin" in sys.modules:
        return  # already loaded (its own way)
    spec = importlib.util.find_spec("pypinyin")
    if spec is None or spec.origin is None:
        return
    folder = Path(spec.origin).resolve().parent
    phrases = load_in_pieces(folder / "phrases_dict.json")
    chars = {int(k): v for k, v in load_in_pieces(folder / "pinyin_dict.json").items()}
    for name, value in (("phrases_dict", phrases), ("pinyin_dict", chars)):
        module = types.ModuleType(f"pypinyin.{name}")
        module.__file__ = str(folder / f"{name}.py")
        setattr(module, name, value)
        sys.modules[f"pypinyin.{name}"] = module


def _ensure_loaded() -> None:
    global _ready
    if _ready:
        return
    with _lock:
        if not _ready:
            try:
                _preload()
            except (OSError, ValueError) as exc:
                log.warning("pypinyin's dictionaries are loaded its own way (%s)", exc)
                sys.modules.pop("pypinyin.phrases_dict", None)
                sys.modules.pop("pypinyin.pinyin_dict", None)
            import pypinyin  # noqa: F401, PLC0415

            _ready = True


def lazy_pinyin(text: str, *, initials: bool = False) -> list[str]:
    """pypinyin's `lazy_pinyin` (tones dropped; `initials`: first letters only), characters
    without pinyin kept as they are."""
    _ensure_loaded()
    from pypinyin import Style  # noqa: PLC0415
    from pypinyin import lazy_pinyin as convert  # noqa: PLC0415

    return convert(text, style=Style.FIRST_LETTER, errors="default") if initials else convert(
        text, errors="default")
