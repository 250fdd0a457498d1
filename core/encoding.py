"""The text encoding of a file a user gives us, decided from its bytes, and the file as UTF-8.

Accepted: UTF-8 (with or without a byte-order mark), GB18030 (a superset of GBK and GB2312: what
Chinese Windows and Excel save as "ANSI" or "CSV"), and UTF-16 with a byte-order mark (Excel's
"Unicode text").

How it is decided:

1. A byte-order mark decides.
2. Otherwise the bytes are decoded as strict UTF-8. Chinese text in GB18030 is practically never
   valid UTF-8 (a GBK character is two bytes, and the second byte of most characters is not a
   UTF-8 continuation byte), so a file that decodes is UTF-8.
3. Otherwise the file is GB18030 when it decodes as strict GB18030 *and* looks like it: more
   invalid UTF-8 sequences than valid multi-byte UTF-8 characters, and more valid GB18030
   characters than invalid ones. This keeps a UTF-8 file with one damaged byte from being read as
   GB18030 mojibake (GB18030 decodes most byte sequences).
4. Otherwise the file is in neither: the error names the byte offset and line of the first byte
   that is invalid in the encoding the file most looks like (UTF-8 when nothing tells).

Why not a statistical detector: with two candidate encodings the strict test is exact and cheap,
while statistical guessing is unreliable on short files. charset-normalizer 3.4 named ``big5``,
``cp949`` or ``big5hkscs`` for every short GBK sample tried, e.g. ``agent_id,name,skills\\nA1,张伟,chat``.
"""

from __future__ import annotations

import codecs
import gzip
import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from core.errors import InputError

CHUNK_BYTES = 1 << 22  # [bytes] read and decode large files in pieces of about this size
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class Encoding:
    """How a file's bytes become text. ``bad_offset``/``bad_line`` locate the first byte that is
    invalid in this encoding (None for a clean file); readers that stop at the first error raise
    :meth:`error`, the actuals import rejects the damaged lines one by one."""

    codec: str  # a Python codec name
    label: str  # for messages
    bad_offset: int | None = None  # [bytes] from the start of the (decompressed) file
    bad_line: int | None = None  # 1-based
    bad_byte: int | None = None

    @property
    def is_utf8(self) -> bool:
        return self.codec in ("utf-8", "utf-8-sig")

    @property
    def clean(self) -> bool:
        return self.bad_offset is None

    def error(self, file: str | Path) -> InputError:
        """The one-line error for a file that is damaged or in neither accepted encoding."""
        byte = "" if self.bad_byte is None else f" 0x{self.bad_byte:02X}"
        return InputError(f"not UTF-8 or GB18030/GBK text: byte{byte} at byte offset {self.bad_offset} is not "
                          f"valid {self.label} (save the file as UTF-8)", file=file, row=self.bad_line)


UTF8 = Encoding("utf-8", "UTF-8")
UTF8_BOM = Encoding("utf-8-sig", "UTF-8")
GB18030 = Encoding("gb18030", "GB18030/GBK")
UTF16 = Encoding("utf-16", "UTF-16")
_BOMS = ((codecs.BOM_UTF8, UTF8_BOM), (codecs.BOM_UTF16_LE, UTF16), (codecs.BOM_UTF16_BE, UTF16),
         (b"\x84\x31\x95\x33", GB18030))


# ---------------------------------------------------------------------------------------------
# reading bytes
# ---------------------------------------------------------------------------------------------
def is_gzip(path: str | Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == GZIP_MAGIC


def open_bytes(path: str | Path) -> io.BufferedIOBase:
    """The file's bytes, decompressed when it is gzip (recognised by its first bytes, not its name)."""
    return gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")


def read_bytes(path: str | Path, limit: int | None = None) -> bytes:
    """All bytes of a file (decompressed), or its first ``limit`` bytes; unreadable or broken gzip
    files are an InputError."""
    try:
        with open_bytes(path) as fh:
            return fh.read() if limit is None else fh.read(limit)
    except (OSError, EOFError) as exc:
        raise InputError(f"not a readable file ({' '.join(str(exc).split())})", file=path) from None


def _line_chunks(path: str | Path) -> Iterator[bytes]:
    """The decompressed file in pieces that end at a line break (UTF-8 and GB18030 never use the
    byte 0x0A inside a character, so each piece decodes on its own)."""
    with open_bytes(path) as fh:
        rest = b""
        while block := fh.read(CHUNK_BYTES):
            block = rest + block
            cut = block.rfind(b"\n") + 1
            if cut == 0:
                rest = block
                continue
            rest = block[cut:]
            yield block[:cut]
        if rest:
            yield rest


# ---------------------------------------------------------------------------------------------
# deciding
# ---------------------------------------------------------------------------------------------
@dataclass
class _Tally:
    """What strict decoding with one codec found: invalid sequences, valid non-ASCII characters and
    (offset, line, byte) of the first invalid byte."""

    codec: str
    bad: int = 0
    wide: int = 0
    first: tuple[int, int, int] | None = None


def _scan(data: bytes, codec: str, final: bool) -> tuple[int, int, int | None, int | None]:
    """Strict decoding of ``data``: (invalid sequences, valid non-ASCII characters, offset of the
    first invalid byte, where to cut a sample that ends inside a character)."""
    try:
        text, bad, first = data.decode(codec), 0, None
    except UnicodeDecodeError as exc:
        if not final and exc.end == len(data) and exc.reason in ("unexpected end of data",
                                                                   "incomplete multibyte sequence"):
            return 0, 0, None, exc.start
        text, first = data.decode(codec, "replace"), exc.start
        bad = text.count("\ufffd")
    return bad, len(text) - len(text.encode("ascii", "ignore")) - bad, first, None


@dataclass
class _Stats:
    """Strict UTF-8 and GB18030 decoding of the bytes seen so far."""

    size: int = 0
    lines: int = 0
    utf8: _Tally = field(default_factory=lambda: _Tally("utf-8"))
    gb: _Tally = field(default_factory=lambda: _Tally("gb18030"))

    def add(self, data: bytes, *, final: bool = True) -> None:
        """Count ``data``, the next bytes of the file; ``final=False`` for a sample that may end
        inside a character (that character is left out)."""
        if not data.isascii():
            scans = [(tally, _scan(data, tally.codec, final)) for tally in (self.utf8, self.gb)]
            cuts = [cut for _, (_, _, _, cut) in scans if cut is not None]
            if cuts:
                return self.add(data[: min(cuts)])
            for tally, (bad, wide, first, _) in scans:
                tally.bad, tally.wide = tally.bad + bad, tally.wide + wide
                if tally.first is None and first is not None:
                    tally.first = (self.size + first, self.lines + data.count(b"\n", 0, first) + 1, data[first])
        self.size += len(data)
        self.lines += data.count(b"\n")

    def looks_gb18030(self) -> bool:
        """More invalid UTF-8 than valid UTF-8 characters, and more valid GB18030 characters than
        invalid ones: bytes that say nothing either way (ASCII with a stray byte) count as UTF-8."""
        return self.utf8.bad > self.utf8.wide and self.gb.wide > self.gb.bad

    def decide(self) -> Encoding:
        if self.utf8.first is None:
            return UTF8
        if self.gb.first is None and self.looks_gb18030():
            return GB18030
        looks, (offset, line, byte) = ((GB18030, self.gb.first) if self.looks_gb18030() else (UTF8, self.utf8.first))
        return replace(looks, bad_offset=offset, bad_line=line, bad_byte=byte)


def _bom(data: bytes) -> Encoding | None:
    for mark, enc in _BOMS:
        if data.startswith(mark):
            return enc
    return None


def _resolve(mark: Encoding | None, stats: _Stats) -> Encoding:
    """What the bytes say, unless a byte-order mark says otherwise; where the two disagree, the
    marked encoding with the first byte that breaks it."""
    found = stats.decide()
    if mark is None:
        return found
    if found.codec == mark.codec.removesuffix("-sig") and found.clean:
        return mark
    first = (stats.utf8 if mark.is_utf8 else stats.gb).first
    return mark if first is None else replace(mark, bad_offset=first[0], bad_line=first[1], bad_byte=first[2])


def _utf16(data: bytes, final: bool) -> Encoding:
    try:
        data.decode("utf-16")
    except UnicodeDecodeError as exc:
        if final or exc.reason != "truncated data":
            return replace(UTF16, bad_offset=exc.start, bad_byte=data[exc.start])
    return UTF16


def detect(data: bytes, *, final: bool = True) -> Encoding:
    """The encoding of ``data``: all of a file, or with ``final=False`` its first bytes (a character
    cut at the end is then not an error)."""
    mark = _bom(data)
    if mark is UTF16:
        return _utf16(data, final)
    stats = _Stats()
    stats.add(data, final=final)
    return _resolve(mark, stats)


def detect_file(path: str | Path) -> Encoding:
    """:func:`detect` over a whole file of any size (decompressed), read in pieces."""
    mark = _bom(read_bytes(path, 4))
    if mark is UTF16:
        return _utf16(read_bytes(path), True)
    stats = _Stats()
    for chunk in _line_chunks(path):
        stats.add(chunk)
    return _resolve(mark, stats)


def decode(data: bytes, file: str | Path) -> tuple[str, Encoding]:
    """The text of a whole file and its encoding; a file in neither encoding is an InputError."""
    enc = detect(data)
    if not enc.clean:
        raise enc.error(file)
    text = data.decode(enc.codec)
    return text.removeprefix("\ufeff"), enc


# ---------------------------------------------------------------------------------------------
# the file as UTF-8, for readers that only take UTF-8 (DuckDB's read_csv)
# ---------------------------------------------------------------------------------------------
@contextmanager
def utf8_copy(path: str | Path, enc: Encoding) -> Iterator[Path]:
    """A UTF-8 copy of ``path`` (decompressed) in a temporary folder, removed on exit. Bytes that
    are invalid in ``enc`` are copied unchanged, so the lines holding them stay invalid UTF-8 and a
    reader that rejects lines one by one rejects exactly those."""
    folder = Path(tempfile.mkdtemp(prefix="cs_schedule_utf8_"))
    out = folder / (Path(path).name.removesuffix(".gz") or "data.csv")
    try:
        dec = codecs.getincrementaldecoder(enc.codec)(errors="surrogateescape")
        with open_bytes(path) as src, open(out, "wb") as dst:
            first = True
            while block := src.read(CHUNK_BYTES):
                text = dec.decode(block)
                if first:
                    text, first = text.removeprefix("\ufeff"), False
                dst.write(text.encode("utf-8", "surrogateescape"))
            dst.write(dec.decode(b"", final=True).encode("utf-8", "surrogateescape"))
        yield out
    finally:
        for p in folder.iterdir():
            p.unlink()
        os.rmdir(folder)
