"""Reads the language tables out of a compiled NSIS installer or uninstaller: the strings
the program shows, per Windows language id, exactly as it will pick them at run time.

Only what the tests need: a 64-bit Unicode NSIS 3 executable (`Target amd64-unicode`), its
header stored uncompressed or with zlib (non-solid). Layout: Source/exehead/fileform.h
(`firstheader`, then the header: flags, eight `block_header`s of a 64-bit offset and a
count, ..., `langtable_size`; a language table is the LANGID, two ints, then one string
offset per language string; strings are NUL-terminated UTF-16 in the string block).
"""
from __future__ import annotations

import struct
import zlib

SIGNATURE = b"\xef\xbe\xad\xdeNullsoftInst"
LANG_SIMPCHINESE = 2052
LANG_ENGLISH = 1033
_NB_STRINGS, _NB_LANGTABLES = 3, 4
_BLOCK = struct.Struct("<Qi")  # block_header in a 64-bit header: UINT_PTR offset, int num
_BLOCKS_AT = 4
_LANGTABLE_SIZE_AT = _BLOCKS_AT + 8 * _BLOCK.size + 8 * 4  # after the reg key and colour ints


class NotAnNsisExecutable(ValueError):
    pass


def pe_machine(data: bytes) -> int:
    """The PE header's Machine field: 0x8664 for x86-64, 0x14c for 32-bit x86."""
    pe = struct.unpack_from("<I", data, 0x3C)[0]
    if data[pe:pe + 4] != b"PE\0\0":
        raise NotAnNsisExecutable("no PE header")
    return struct.unpack_from("<H", data, pe + 4)[0]


def _header(data: bytes) -> bytes:
    at = data.find(SIGNATURE)
    if at < 4:
        raise NotAnNsisExecutable("no NSIS first header")
    (stored,) = struct.unpack_from("<I", data, at + 24)
    length = stored & 0x7FFFFFFF
    raw = data[at + 28:at + 28 + length]
    if stored & 0x80000000:  # compressed: raw deflate with zlib, what -DCOMPRESSOR=zlib gives
        return zlib.decompressobj(-15).decompress(raw)
    return raw


def language_tables(data: bytes) -> dict[int, list[str]]:
    """{LANGID: [string, ...]}, the strings in slot order (slot i means the same text in
    every table). Strings holding a variable ($0, $INSTDIR) keep NSIS's codes in them."""
    header = _header(data)
    strings_at = _BLOCK.unpack_from(header, _BLOCKS_AT + _NB_STRINGS * _BLOCK.size)[0]
    tables_at, count = _BLOCK.unpack_from(header, _BLOCKS_AT + _NB_LANGTABLES * _BLOCK.size)
    (size,) = struct.unpack_from("<i", header, _LANGTABLE_SIZE_AT)
    tables: dict[int, list[str]] = {}
    for n in range(count):
        base = tables_at + n * size
        (langid,) = struct.unpack_from("<H", header, base)
        offsets = struct.unpack_from(f"<{(size - 10) // 4}i", header, base + 10)
        tables[langid] = [_string(header, strings_at, o) for o in offsets]
    return tables


def _string(header: bytes, strings_at: int, offset: int) -> str:
    if offset < 0:  # a negative offset is a variable's index, not a string
        return ""
    start = end = strings_at + 2 * offset
    while header[end:end + 2] != b"\0\0":
        end += 2
    return header[start:end].decode("utf-16-le", errors="replace")
