"""Bytes to NFC text: BOMs, UTF-8, legacy code pages, mojibake, and what cannot be read.

Scraped Vietnamese pages arrive as UTF-8 (with or without a BOM), UTF-16 from Windows
tools, Windows-1258, UTF-8 that was once read as Windows-1252 (mojibake), and text typed
in the pre-Unicode 8-bit font encodings TCVN3 (ABC) and VNI. The first four are decoded;
TCVN3 and VNI need the font's own table and a human check, so they are reported with a
reason instead of being modelled as garbage. Binary and empty files are reported too.
A legacy-font verdict needs the font's byte patterns to outnumber the Vietnamese letters
that only Unicode has, so valid UTF-8/UTF-16 Vietnamese is never reported as one, and a
UTF-8 or UTF-16 text with a few bad bytes is decoded with U+FFFD and a note.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

import ftfy
from charset_normalizer import from_bytes

# Letters that exist only in Vietnamese (beyond plain ASCII), precomposed.
VIETNAMESE_LETTERS = frozenset(
    "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
    "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴĐ"
)
_LETTER = re.compile(r"[^\W\d_]")
_VIETNAMESE = re.compile("[" + "".join(sorted(VIETNAMESE_LETTERS)) + "]")
# Vietnamese letters outside Latin-1 ("ư", "ơ", "đ", "ạ", "ả", "ế", ...): the 8-bit font
# encodings are read as Latin-1/Windows-1252 and can never produce them, while nearly half
# the words of Unicode Vietnamese contain one.
_UNICODE_ONLY = frozenset(ch for ch in VIETNAMESE_LETTERS if ord(ch) > 0xFF)
# Latin-1 characters that TCVN3 uses for Vietnamese letters and that never occur in
# Unicode Vietnamese ("c¸n bé" is "cán bộ", "§¶ng" is "Đảng", "ng­êi" is "người").
_TCVN3_MARKERS = frozenset("¸µ¶·¹¨»¾¼½Æ©ÇË®ÐÎÏÑªÖ×ØÜÞßäåæçëîïñö÷øûüþ¡¢§£¤¥¦«¬\xad")
# VNI writes a tone or a vowel mark as a second byte after the base vowel
# ("caùn boä" is "cán bộ"); these pairs do not occur in Unicode Vietnamese.
_VNI_PAIRS = re.compile(r"[aeiouyAEIOUY](?:[ùøûõï]|[âêÂÊ](?=[\wùøûõïáàåãäéèúüë]))")
_MAGIC = (
    (b"%PDF", "PDF document"),
    (b"\x89PNG", "PNG image"),
    (b"GIF8", "GIF image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"PK\x03\x04", "ZIP archive (e.g. .docx)"),
    (b"\x1f\x8b", "gzip archive"),
    (b"\xd0\xcf\x11\xe0", "OLE document (e.g. .doc)"),
    (b"Rar!", "RAR archive"),
    (b"7z\xbc\xaf", "7-Zip archive"),
)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True)
class Decoded:
    """The outcome of decoding one input.

    Attributes
    ----------
    text : str or None
        NFC text, or None when the input cannot be used.
    encoding : str
        The encoding used (or suspected, for an exclusion).
    reason : str
        Why the input is excluded; empty when ``text`` is usable.
    note : str
        What was repaired on the way (mojibake, NFD), for the manifest.
    """

    text: str | None
    encoding: str
    reason: str = ""
    note: str = ""


def vietnamese_share(text: str) -> float:
    """Share of letters that are Vietnamese-only letters (about 0.2-0.3 in news prose)."""
    sample = text[:200_000]
    letters = len(_LETTER.findall(sample))
    if not letters:
        return 0.0
    return len(_VIETNAMESE.findall(sample)) / letters


def legacy_font_encoding(text: str) -> str:
    """Return ``"TCVN3"`` or ``"VNI"`` when ``text`` (decoded as Latin-1) looks typed in one.

    Returns an empty string for anything else, including genuine Unicode Vietnamese. The
    VNI pattern (a vowel followed by a mark letter) also matches Unicode words such as
    "viên" or "muốn"; a text is a legacy encoding only when such words are far more
    frequent than words with Vietnamese letters a legacy encoding cannot produce (in
    Unicode news about half the words have one, in TCVN3 or VNI read as Latin-1 none).
    """
    sample = text[:200_000]
    words = re.findall(r"\S+", sample)
    if len(words) < 5:
        return ""
    tcvn = sum(1 for w in words if any(ch in _TCVN3_MARKERS for ch in w)) / len(words)
    vni = sum(1 for w in words if _VNI_PAIRS.search(w)) / len(words)
    unicode_words = sum(1 for w in words if any(ch in _UNICODE_ONLY for ch in w)) / len(words)
    # Some VNI bytes are TCVN3 markers too; the more typical pattern decides.
    density = max(tcvn, vni)
    if density <= 0.15 or density <= 3 * unicode_words:
        return ""
    return "VNI" if vni >= tcvn else "TCVN3"


def _binary_kind(data: bytes) -> str:
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    return ""


def _control_share(data: bytes) -> float:
    head = data[:65_536]
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return controls / max(len(head), 1)


def _utf16_without_bom(data: bytes) -> str:
    """``utf-16-le``/``-be`` when every other byte of a text is zero, else ``""``."""
    head = data[:4096]
    if len(head) < 16:
        return ""
    even_zero = head[0::2].count(0) / len(head[0::2])
    odd_zero = head[1::2].count(0) / len(head[1::2])
    if odd_zero > 0.3 and even_zero < 0.05:
        return "utf-16-le"
    if even_zero > 0.3 and odd_zero < 0.05:
        return "utf-16-be"
    return ""


def _mostly_valid(payload: bytes, codec: str) -> tuple[str, str] | None:
    """Decode ``payload`` with replacement when only a few bytes are bad, else ``None``.

    A stray byte or a multi-byte character cut off at the end (a truncated download or
    copy) should not make an otherwise clean UTF-8 or UTF-16 article unreadable, nor be
    taken for a legacy encoding (UTF-8 read as Latin-1 is full of TCVN3 marker letters).
    Text in another encoding has bad sequences at nearly every non-ASCII character, so
    at most one bad sequence per 50 valid non-ASCII characters is tolerated.

    Returns
    -------
    tuple of (str, str) or None
        The text, with U+FFFD for each bad sequence, and a note for the manifest.
    """
    text = payload.decode(codec, errors="replace")
    # Genuine U+FFFD characters in the input are not decoding errors.
    genuine = payload.decode(codec, errors="ignore").count("\ufffd")
    bad = text.count("\ufffd") - genuine
    non_ascii = sum(1 for ch in text if ord(ch) > 127) - bad - genuine
    if bad < 1 or non_ascii < 10 or bad * 50 > non_ascii:
        return None
    name = codec.upper()
    try:
        payload[:-4].decode(codec)
        cut = True
    except UnicodeDecodeError:
        cut = False
    if cut and bad == 1 and text.endswith("\ufffd"):
        note = f"last character cut off (incomplete {name} sequence at the end, replaced by U+FFFD)"
    else:
        note = f"{bad} invalid {name} byte sequence{'s' if bad > 1 else ''} replaced by U+FFFD"
    return text, note


def _finish(text: str, encoding: str, notes: list[str]) -> Decoded:
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        return Decoded(None, encoding, "binary data (NUL characters in text)")
    # Mojibake first: UTF-8 read as Windows-1252 is full of the same Latin-1 symbols
    # that mark TCVN3, and only ftfy can tell which one a text is.
    # ftfy reads every character; a clean sample is enough to skip it on long texts.
    sample = text[:20_000]
    fixed = text if ftfy.fix_encoding(sample) == sample else ftfy.fix_encoding(text)
    if fixed != text and vietnamese_share(fixed) > vietnamese_share(text):
        notes.append("mojibake repaired (ftfy)")
        text = fixed
    font = legacy_font_encoding(text)
    if font:
        return Decoded(None, encoding, f"legacy {font} font encoding; convert to Unicode first")
    nfc = unicodedata.normalize("NFC", text)
    if nfc != text and unicodedata.is_normalized("NFD", text):
        notes.append("NFD normalised to NFC")
    elif nfc != text:
        notes.append("normalised to NFC")
    if not nfc.strip():
        return Decoded(None, encoding, "empty file (whitespace only)")
    return Decoded(nfc, encoding, "", "; ".join(notes))


def _legacy_candidates(data: bytes) -> list[tuple[str, str]]:
    candidates = []
    for encoding in ("cp1258", "cp1252"):
        try:
            candidates.append((encoding, data.decode(encoding)))
        except UnicodeDecodeError:
            continue
    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding not in ("cp1258", "cp1252", "utf_8"):
        try:
            candidates.append((best.encoding, data.decode(best.encoding)))
        except (UnicodeDecodeError, LookupError):
            pass
    return candidates


def decode_bytes(data: bytes) -> Decoded:
    """Decode the bytes of one input file into NFC text, or say why it cannot be.

    Order: empty; byte-order mark (UTF-8/16/32); binary signatures; UTF-16 without a
    BOM; strict UTF-8, or UTF-8 with a few bad bytes replaced (U+FFFD, with a note);
    TCVN3/VNI font encodings (excluded); Windows-1258, Windows-1252
    and charset-normalizer's best guess, keeping the one that reads most like
    Vietnamese. Mojibake is repaired with ``ftfy.fix_encoding`` when that makes the text
    more Vietnamese, and every result is NFC.

    Parameters
    ----------
    data : bytes
        The raw file content.

    Returns
    -------
    Decoded
    """
    if not data:
        return Decoded(None, "", "empty file (0 bytes)")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            codec = encoding.replace("-sig", "")
            try:
                text = data[len(bom) :].decode(codec)
            except UnicodeDecodeError:
                lenient = _mostly_valid(data[len(bom) :], codec)
                if lenient is None:
                    reason = f"undecodable: {encoding} byte-order mark, bad data"
                    return Decoded(None, encoding, reason)
                return _finish(lenient[0], encoding, [lenient[1]])
            return _finish(text, encoding, [])
    kind = _binary_kind(data)
    if kind:
        return Decoded(None, "", f"binary file ({kind})")
    if b"\x00" in data[:4096]:
        utf16 = _utf16_without_bom(data)
        if utf16:
            note = "UTF-16 without byte-order mark"
            try:
                return _finish(data.decode(utf16), utf16, [note])
            except UnicodeDecodeError:
                lenient = _mostly_valid(data, utf16)
                if lenient is not None:
                    return _finish(lenient[0], utf16, [note, lenient[1]])
        return Decoded(None, "", "binary file (NUL bytes)")
    if _control_share(data) > 0.05:
        return Decoded(None, "", "binary file (control bytes)")
    try:
        return _finish(data.decode("utf-8"), "utf-8", [])
    except UnicodeDecodeError:
        lenient = _mostly_valid(data, "utf-8")
        if lenient is not None:
            return _finish(lenient[0], "utf-8", [lenient[1]])
    font = legacy_font_encoding(data[:200_000].decode("latin-1"))
    if font:
        return Decoded(None, font, f"legacy {font} font encoding; convert to Unicode first")
    candidates = _legacy_candidates(data)
    if not candidates:
        return Decoded(None, "", "undecodable: not UTF-8 and no legacy encoding fits")
    encoding, text = max(
        candidates,
        key=lambda item: vietnamese_share(unicodedata.normalize("NFC", item[1])),
    )
    return _finish(text, encoding, [f"decoded as {encoding}"])
