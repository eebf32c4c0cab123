#!/usr/bin/env python3
"""Independent verifier for Attest export bundles (ledger format version 1).

Written from docs/FORMAT.md alone (plus the public standards it cites: RFC 8259 /
RFC 7493 I-JSON, RFC 8785 JCS, RFC 9162 §2.1, C2SP signed-note and tlog-checkpoint).

Usage:
    python3 attest_verify.py BUNDLE --key VERIFIER_KEY [--json]

Prints one line: ``OK <origin> <start> <end> <root-hex>`` (exit 0) or
``FAIL <seq-or-"-"> <reason>`` (exit 1). Bad usage or an unreadable file: message on
stderr, exit 2.

Dependencies: the Python 3.11 standard library and ``cryptography`` (Ed25519 only).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import math
import re
import sys
from typing import Any, Iterable, Iterator

__all__ = [
    "JSONError", "VerifyError", "KeyError_", "NoteError",
    "strict_loads", "jcs", "format_number",
    "leaf_hash", "node_hash", "EMPTY_ROOT", "CompactRange", "mth",
    "VerifierKey", "parse_verifier_key", "parse_private_key", "key_id",
    "SignedNote", "parse_signed_note", "verify_note", "Checkpoint", "parse_checkpoint",
    "entry_signature_message", "verify_bundle_lines", "verify_bundle_file", "main",
]

MAX_SAFE_INTEGER = 2**53 - 1


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------

class JSONError(ValueError):
    """Input is not I-JSON (FORMAT.md §2)."""


class KeyError_(ValueError):
    """A verifier or private key string is malformed."""


class NoteError(ValueError):
    """A signed note or checkpoint is malformed or does not verify."""


class VerifyError(Exception):
    """Bundle verification failure: ``seq`` is the seq of the first bad entry or None."""

    def __init__(self, seq: int | None, reason: str):
        super().__init__(reason)
        self.seq = seq
        self.reason = reason


# ---------------------------------------------------------------------------
# Strict JSON reader (I-JSON, RFC 7493)
# ---------------------------------------------------------------------------

def _pairs_hook(pairs: list[tuple[str, Any]]) -> dict:
    obj: dict[str, Any] = {}
    for k, v in pairs:
        if k in obj:
            raise JSONError(f"duplicate member name {k!r}")
        obj[k] = v
    return obj


def _int_token(s: str) -> int:
    try:
        return int(s)
    except ValueError as e:  # e.g. more than sys.get_int_max_str_digits() digits
        raise JSONError(f"integer out of range: {s[:40]}") from e


def _parse_int_reject(s: str) -> int:
    """I-JSON ingest rule: integer literals beyond ±(2^53−1) are refused."""
    v = _int_token(s)
    if v > MAX_SAFE_INTEGER or v < -MAX_SAFE_INTEGER:
        raise JSONError(f"integer beyond ±(2^53−1): {s[:40]}")
    return v


def _parse_int_double(s: str) -> int | float:
    """FORMAT.md §2 rule for reading entries and bundles: RFC 8785 writes integral doubles
    below 1e21 in plain digits (1e20 is stored as 100000000000000000000), so an integer
    literal beyond ±(2^53−1) is read as the nearest double instead of being rejected."""
    v = _int_token(s)
    if v > MAX_SAFE_INTEGER or v < -MAX_SAFE_INTEGER:
        try:
            f = float(v)
        except OverflowError:
            f = math.inf
        if not math.isfinite(f):
            raise JSONError(f"integer literal beyond the IEEE 754 double range: {s[:40]}")
        return f
    return v


def _parse_float(s: str) -> float:
    v = float(s)
    if not math.isfinite(v):
        raise JSONError(f"number out of IEEE 754 double range: {s[:40]}")
    return v


def _parse_constant(s: str) -> Any:
    raise JSONError(f"not JSON: {s}")


_DECODERS = {
    mode: json.JSONDecoder(
        object_pairs_hook=_pairs_hook,
        parse_int=hook,
        parse_float=_parse_float,
        parse_constant=_parse_constant,
        strict=True,
    )
    for mode, hook in (("reject", _parse_int_reject), ("double", _parse_int_double))
}


def _check_surrogates(v: Any) -> None:
    """Reject lone surrogates (JSON escapes such as "\\ud800" that do not form a pair)."""
    stack = [v]
    while stack:
        x = stack.pop()
        if isinstance(x, str):
            for c in x:
                if "\ud800" <= c <= "\udfff":
                    raise JSONError("lone surrogate in string")
        elif isinstance(x, dict):
            for k, val in x.items():
                stack.append(k)
                stack.append(val)
        elif isinstance(x, list):
            stack.extend(x)


def strict_loads(data: str | bytes, big_ints: str = "reject") -> Any:
    """Parse one JSON text, rejecting everything I-JSON rejects.

    Duplicate member names, lone surrogates, invalid UTF-8, a BOM, NaN/Infinity and numbers
    outside the double range are always rejected. Integer literals (no fraction, no
    exponent) within ±(2^53−1) come back as ``int``; every other number as ``float``;
    true/false as ``bool``. Integer literals beyond ±(2^53−1): ``big_ints="reject"`` (the
    ingest rule) rejects them, ``big_ints="double"`` (FORMAT.md §2, for reading entries and
    bundles) returns the nearest double. Raises JSONError.
    """
    if isinstance(data, (bytes, bytearray)):
        try:
            data = bytes(data).decode("utf-8", errors="strict")
        except UnicodeDecodeError as e:
            raise JSONError(f"invalid UTF-8: {e.reason}") from None
    if data.startswith("\ufeff"):
        raise JSONError("byte order mark")
    try:
        value = _DECODERS[big_ints].decode(data)
    except JSONError:
        raise
    except json.JSONDecodeError as e:
        raise JSONError(f"invalid JSON: {e.msg} at column {e.colno}") from None
    except RecursionError:
        raise JSONError("JSON nested too deeply") from None
    except ValueError as e:
        raise JSONError(f"invalid JSON: {e}") from None
    # Lone surrogates can only come from \u escapes (the text itself is valid UTF-8).
    if "\\u" in data:
        _check_surrogates(value)
    return value


# ---------------------------------------------------------------------------
# RFC 8785 canonicalization
# ---------------------------------------------------------------------------

_REPR_RE = re.compile(r"^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$")


def format_number(x: int | float) -> str:
    """ECMAScript Number.prototype.toString(x) for a finite double (RFC 8785 §3.2.2.3)."""
    if isinstance(x, bool):
        raise TypeError("bool is not a number")
    if isinstance(x, int):
        if abs(x) > MAX_SAFE_INTEGER:
            # Not produced by strict_loads; format the double it would denote.
            return format_number(float(x))
        return str(x)  # exact as a double and < 1e21: plain decimal digits
    if not math.isfinite(x):
        raise ValueError("NaN and infinities have no JSON form")
    if x == 0:
        return "0"  # +0 and -0
    m = _REPR_RE.match(repr(x))  # Python's repr: shortest round-tripping digits
    if m is None:  # pragma: no cover - repr of a finite float always matches
        raise ValueError(f"unexpected float repr {x!r}")
    sign, ip, fp, ex = m.group(1), m.group(2), m.group(3) or "", m.group(4)
    digits = ip + fp
    # value = 0.digits × 10^(len(ip) + exp)  before stripping leading zeros
    n = len(ip) + (int(ex) if ex else 0)
    stripped = digits.lstrip("0")
    n -= len(digits) - len(stripped)
    s = stripped.rstrip("0")
    k = len(s)
    # Now value = s × 10^(n−k), s has k digits, no leading/trailing zeros (ECMA-262 Number::toString).
    if k <= n <= 21:
        out = s + "0" * (n - k)
    elif 0 < n <= 21:
        out = s[:n] + "." + s[n:]
    elif -6 < n <= 0:
        out = "0." + "0" * (-n) + s
    else:
        e = n - 1
        es = ("+" if e >= 0 else "-") + str(abs(e))
        out = (s if k == 1 else s[0] + "." + s[1:]) + "e" + es
    return sign + out


_ESCAPES = {
    '"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
}
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]')


def _escape_char(m: re.Match) -> str:
    c = m.group(0)
    e = _ESCAPES.get(c)
    return e if e is not None else "\\u%04x" % ord(c)


def _jcs_string(s: str) -> str:
    return '"' + _NEEDS_ESCAPE.sub(_escape_char, s) + '"'


def _utf16_key(s: str) -> bytes:
    # Big-endian UTF-16 bytes compare exactly like sequences of UTF-16 code units.
    return s.encode("utf-16-be", errors="surrogatepass")


def _jcs_into(v: Any, out: list[str]) -> None:
    if v is None:
        out.append("null")
    elif v is True:
        out.append("true")
    elif v is False:
        out.append("false")
    elif isinstance(v, str):
        out.append(_jcs_string(v))
    elif isinstance(v, (int, float)):
        out.append(format_number(v))
    elif isinstance(v, dict):
        out.append("{")
        first = True
        for k in sorted(v, key=_utf16_key):
            if not isinstance(k, str):
                raise TypeError("object member names must be strings")
            if not first:
                out.append(",")
            first = False
            out.append(_jcs_string(k))
            out.append(":")
            _jcs_into(v[k], out)
        out.append("}")
    elif isinstance(v, (list, tuple)):
        out.append("[")
        for i, item in enumerate(v):
            if i:
                out.append(",")
            _jcs_into(item, out)
        out.append("]")
    else:
        raise TypeError(f"not a JSON value: {type(v).__name__}")


def jcs(v: Any) -> bytes:
    """RFC 8785 canonical serialization of a parsed JSON value, as UTF-8 bytes."""
    out: list[str] = []
    try:
        _jcs_into(v, out)
    except RecursionError:
        raise JSONError("JSON nested too deeply") from None
    try:
        return "".join(out).encode("utf-8")
    except UnicodeEncodeError:
        raise JSONError("lone surrogate in string") from None


# ---------------------------------------------------------------------------
# RFC 9162 Merkle tree
# ---------------------------------------------------------------------------

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(leaves: list[bytes]) -> bytes:
    """Naive recursive MTH over already leaf-hashed leaves (FORMAT.md §4)."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


class CompactRange:
    """Compact range of [0, size): roots of the perfect subtrees of size's binary decomposition."""

    def __init__(self, size: int = 0, hashes: Iterable[bytes] = ()):
        hashes = list(hashes)
        if size < 0:
            raise ValueError("negative size")
        if len(hashes) != bin(size).count("1"):
            raise ValueError(f"compact range of size {size} needs {bin(size).count('1')} hashes, got {len(hashes)}")
        for h in hashes:
            if len(h) != 32:
                raise ValueError("hash must be 32 bytes")
        self.size = size
        self.hashes = hashes
        # subtree sizes, left to right: set bits of size from highest to lowest
        self.sizes = [1 << b for b in range(size.bit_length() - 1, -1, -1) if size >> b & 1]

    def append(self, h: bytes) -> None:
        if len(h) != 32:
            raise ValueError("hash must be 32 bytes")
        self.hashes.append(h)
        self.sizes.append(1)
        while len(self.sizes) >= 2 and self.sizes[-1] == self.sizes[-2]:
            right = self.hashes.pop()
            left = self.hashes.pop()
            sz = self.sizes.pop()
            self.sizes.pop()
            self.hashes.append(node_hash(left, right))
            self.sizes.append(2 * sz)
        self.size += 1

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        r = self.hashes[-1]
        for h in reversed(self.hashes[:-1]):
            r = node_hash(h, r)
        return r


# ---------------------------------------------------------------------------
# Base64 / hex helpers (strict)
# ---------------------------------------------------------------------------

_B64_RE = re.compile(r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$")
_HEX64_RE = re.compile(r"^[0-9a-f]{64}$")


def b64decode_strict(s: str) -> bytes:
    """Standard padded base64 (RFC 4648 §4), canonical (unused bits zero)."""
    if not isinstance(s, str) or not _B64_RE.match(s):
        raise ValueError("not padded standard base64")
    raw = base64.b64decode(s, validate=True)
    if base64.b64encode(raw).decode("ascii") != s:
        raise ValueError("non-canonical base64")
    return raw


def is_hex64(s: Any) -> bool:
    return isinstance(s, str) and _HEX64_RE.match(s) is not None


# ---------------------------------------------------------------------------
# Keys (C2SP signed-note, Ed25519)
# ---------------------------------------------------------------------------

ALG_ED25519 = 0x01


def is_valid_key_name(name: str) -> bool:
    """C2SP key-name rules: non-empty, no Unicode white space, no '+'."""
    if not name or "+" in name:
        return False
    return not any(c.isspace() for c in name)


def key_id(name: str, pubkey: bytes, alg: int = ALG_ED25519) -> bytes:
    """First 4 bytes of SHA-256(key name ‖ 0x0A ‖ alg ‖ public key)."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([alg]) + pubkey).digest()[:4]


class VerifierKey:
    def __init__(self, name: str, kid: bytes, pubkey: bytes, text: str):
        self.name = name
        self.key_id = kid
        self.pubkey = pubkey
        self.text = text
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
        self._pk = Ed25519PublicKey.from_public_bytes(pubkey)

    def verify(self, signature: bytes, message: bytes) -> bool:
        from cryptography.exceptions import InvalidSignature
        if len(signature) != 64:
            return False
        try:
            self._pk.verify(signature, message)
            return True
        except InvalidSignature:
            return False


def parse_verifier_key(text: str) -> VerifierKey:
    """Parse ``name+hex8+base64(0x01 ‖ pubkey)``, splitting at the first two '+' only."""
    fields = text.split("+", 2)
    if len(fields) != 3:
        raise KeyError_("verifier key must be name+hex8+base64")
    name, hex8, b64 = fields
    if not is_valid_key_name(name):
        raise KeyError_("invalid key name")
    if not re.fullmatch(r"[0-9a-f]{8}", hex8):
        raise KeyError_("key ID must be 8 lower-case hex digits")
    try:
        raw = b64decode_strict(b64)
    except ValueError as e:
        raise KeyError_(f"key data: {e}") from None
    if len(raw) != 33 or raw[0] != ALG_ED25519:
        raise KeyError_("key data must be 0x01 followed by a 32-byte Ed25519 public key")
    pub = raw[1:]
    kid = bytes.fromhex(hex8)
    if key_id(name, pub) != kid:
        raise KeyError_("key ID does not match the key name and public key")
    return VerifierKey(name, kid, pub, text)


def parse_private_key(text: str) -> tuple[str, bytes, bytes]:
    """Parse ``PRIVATE+KEY+name+hex8+base64(0x01 ‖ seed)`` → (name, key ID, 32-byte seed).

    The key ID is checked against the public key derived from the seed.
    """
    fields = text.split("+", 4)
    if len(fields) != 5 or fields[0] != "PRIVATE" or fields[1] != "KEY":
        raise KeyError_("private key must be PRIVATE+KEY+name+hex8+base64")
    name, hex8, b64 = fields[2], fields[3], fields[4]
    if not is_valid_key_name(name) or not re.fullmatch(r"[0-9a-f]{8}", hex8):
        raise KeyError_("malformed private key")
    raw = b64decode_strict(b64)
    if len(raw) != 33 or raw[0] != ALG_ED25519:
        raise KeyError_("private key data must be 0x01 followed by a 32-byte seed")
    seed = raw[1:]
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives import serialization
    pub = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    kid = bytes.fromhex(hex8)
    if key_id(name, pub) != kid:
        raise KeyError_("private key ID does not match")
    return name, kid, seed


# ---------------------------------------------------------------------------
# Signed notes (C2SP signed-note) and checkpoints (C2SP tlog-checkpoint)
# ---------------------------------------------------------------------------

SIG_PREFIX = "\u2014 "  # EM DASH, space


class Signature:
    def __init__(self, name: str, kid: bytes, sig: bytes):
        self.name, self.key_id, self.sig = name, kid, sig


class SignedNote:
    def __init__(self, text: str, sigs: list[Signature]):
        self.text = text  # the body, ending in "\n"
        self.sigs = sigs


def parse_signed_note(note: str) -> SignedNote:
    """Split a signed note into its body (text) and signature lines."""
    if not isinstance(note, str):
        raise NoteError("note is not a string")
    for c in note:
        if c < " " and c != "\n":
            raise NoteError("note contains a control character")
        if "\ud800" <= c <= "\udfff":
            raise NoteError("note is not valid UTF-8")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("note has no blank line before its signatures")
    text, sigblock = note[: split + 1], note[split + 2:]
    if not sigblock or not sigblock.endswith("\n"):
        raise NoteError("note has no signature lines or does not end in a newline")
    sigs: list[Signature] = []
    for line in sigblock[:-1].split("\n"):
        if not line.startswith(SIG_PREFIX):
            raise NoteError("signature line does not start with an em dash and a space")
        rest = line[len(SIG_PREFIX):]
        name, sp, b64 = rest.partition(" ")
        if not sp or not is_valid_key_name(name) or not b64:
            raise NoteError("malformed signature line")
        try:
            raw = b64decode_strict(b64)
        except ValueError:
            raise NoteError("signature is not valid base64") from None
        if len(raw) < 5:
            raise NoteError("signature too short")
        sigs.append(Signature(name, raw[:4], raw[4:]))
        if len(sigs) > 100:
            raise NoteError("too many signatures")
    return SignedNote(text, sigs)


def verify_note(note: SignedNote, key: VerifierKey) -> None:
    """Signatures by unknown (name, key ID) are ignored; a bad known one or none at all fails."""
    known = 0
    body = note.text.encode("utf-8")
    for s in note.sigs:
        if s.name != key.name or s.key_id != key.key_id:
            continue
        if not key.verify(s.sig, body):
            raise NoteError("checkpoint signature by the pinned key does not verify")
        known += 1
    if known == 0:
        raise NoteError("checkpoint is not signed by the pinned key")


class Checkpoint:
    def __init__(self, origin: str, size: int, root: bytes, extensions: list[str]):
        self.origin, self.size, self.root, self.extensions = origin, size, root, extensions


def parse_checkpoint(text: str) -> Checkpoint:
    if not text.endswith("\n"):
        raise NoteError("checkpoint body does not end in a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError("checkpoint body has fewer than three lines")
    origin, size_s, root_s = lines[0], lines[1], lines[2]
    if not origin:
        raise NoteError("checkpoint origin is empty")
    if not re.fullmatch(r"0|[1-9][0-9]*", size_s):
        raise NoteError("checkpoint size is not a decimal without leading zeros")
    size = int(size_s)
    if size >= 1 << 64:
        raise NoteError("checkpoint size out of range")
    try:
        root = b64decode_strict(root_s)
    except ValueError:
        raise NoteError("checkpoint root hash is not valid base64") from None
    if len(root) != 32:
        raise NoteError("checkpoint root hash is not 32 bytes")
    ext = lines[3:]
    if any(not e for e in ext):
        raise NoteError("empty extension line in checkpoint")
    return Checkpoint(origin, size, root, ext)


# ---------------------------------------------------------------------------
# Entries
# ---------------------------------------------------------------------------

ENTRY_MEMBERS = {"v", "log", "seq", "prev", "received_at", "event"}
HEADER_MEMBERS = {"bundle", "log", "verifier_key", "start", "prefix"}
ENTRY_LINE_MEMBERS = {"entry", "hash"}
ENTRY_LINE_OPTIONAL = {"sig"}
ENTRY_SIG_DOMAIN = b"attest-entry-v1:"
ZERO_HASH = bytes(32)

_RECEIVED_AT_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})Z$", re.ASCII)


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def valid_received_at(s: Any) -> bool:
    if not isinstance(s, str):
        return False
    m = _RECEIVED_AT_RE.match(s)
    if not m:
        return False
    y, mo, d, h, mi, sec = (int(m.group(i)) for i in range(1, 7))
    if not (1 <= mo <= 12 and 0 <= h <= 23 and 0 <= mi <= 59 and 0 <= sec <= 60):
        return False
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1]
    return 1 <= d <= days


def entry_signature_message(entry_hash: bytes) -> bytes:
    return ENTRY_SIG_DOMAIN + entry_hash


def _check_entry_shape(entry: Any) -> str | None:
    """Return None if ``entry`` is a well-formed section 3 entry, else a reason."""
    if not isinstance(entry, dict):
        return "entry is not a JSON object"
    keys = set(entry)
    if keys != ENTRY_MEMBERS:
        missing = sorted(ENTRY_MEMBERS - keys)
        extra = sorted(keys - ENTRY_MEMBERS)
        parts = []
        if missing:
            parts.append("missing " + ",".join(missing))
        if extra:
            parts.append("unexpected " + ",".join(extra))
        return "entry members: " + "; ".join(parts)
    if not is_int(entry["v"]):
        return "entry v is not an integer"
    if entry["v"] != 1:
        return f"unsupported entry version {entry['v']}"
    if not isinstance(entry["log"], str):
        return "entry log is not a string"
    if not is_int(entry["seq"]) or entry["seq"] < 0:
        return "entry seq is not a non-negative integer"
    if not is_hex64(entry["prev"]):
        return "entry prev is not 64 lower-case hex digits"
    if not valid_received_at(entry["received_at"]):
        return "entry received_at is not RFC 3339 UTC with six fractional digits"
    if not isinstance(entry["event"], dict):
        return "entry event is not a JSON object"
    return None


# ---------------------------------------------------------------------------
# Bundle verification (FORMAT.md §6, §7)
# ---------------------------------------------------------------------------

class Result:
    def __init__(self, origin: str, start: int, end: int, root: bytes):
        self.origin, self.start, self.end, self.root = origin, start, end, root


def _parse_line(raw: bytes, lineno: int, seq: int | None) -> Any:
    """Parse one NDJSON line. A line whose JSON is cut short is attributed to ``seq``."""
    terminated = raw.endswith(b"\n")
    try:
        return strict_loads(raw[:-1] if terminated else raw, big_ints="double")
    except JSONError as e:
        cut = "" if terminated else " (last line has no newline: truncated bundle?)"
        raise VerifyError(seq, f"line {lineno}: {e}{cut}") from None


def _require_newline(raw: bytes, lineno: int, seq: int | None) -> None:
    if not raw.endswith(b"\n"):
        raise VerifyError(seq, f"line {lineno} is not terminated by a newline (truncated bundle)")


def _require_canonical(raw: bytes, value: Any, lineno: int, seq: int | None) -> None:
    """FORMAT §2/§6: every line is exactly the RFC 8785 form of its value."""
    try:
        canonical = jcs(value)
    except (JSONError, TypeError, ValueError) as e:
        raise VerifyError(seq, f"line {lineno} cannot be canonicalized: {e}") from None
    if raw[:-1] != canonical:
        raise VerifyError(seq, f"line {lineno} is not in RFC 8785 canonical form")


def verify_bundle_lines(lines: Iterable[bytes], key: VerifierKey, require_entry_signatures: bool = False) -> Result:
    """Verify a bundle given as an iterable of raw lines (each including its b"\\n").

    Raises VerifyError at the first failure.
    """
    it: Iterator[bytes] = iter(lines)

    # --- Step 1: header -----------------------------------------------------
    try:
        raw = next(it)
    except StopIteration:
        raise VerifyError(None, "empty bundle (no header line)") from None
    header = _parse_line(raw, 1, None)
    _require_newline(raw, 1, None)
    _require_canonical(raw, header, 1, None)
    if not isinstance(header, dict):
        raise VerifyError(None, "header is not a JSON object")
    if header.get("bundle") != "attest/v1":
        raise VerifyError(None, "header bundle is not \"attest/v1\"")
    if set(header) != HEADER_MEMBERS:
        raise VerifyError(None, "header members are not exactly bundle, log, verifier_key, start, prefix")
    log = header["log"]
    if not isinstance(log, str):
        raise VerifyError(None, "header log is not a string")
    if header["verifier_key"] != key.text:
        raise VerifyError(None, "header verifier_key differs from the pinned key")
    if key.name != log:
        raise VerifyError(None, "the pinned key's name differs from the header log")
    start = header["start"]
    if not is_int(start) or start < 0:
        raise VerifyError(None, "header start is not a non-negative integer")
    prefix = header["prefix"]
    if not isinstance(prefix, list) or not all(is_hex64(h) for h in prefix):
        raise VerifyError(None, "header prefix is not a list of 64-digit lower-case hex hashes")
    if len(prefix) != bin(start).count("1"):
        raise VerifyError(None, f"header prefix has {len(prefix)} hashes, popcount(start) = {bin(start).count('1')}")

    # --- Step 2: compact range ----------------------------------------------
    cr = CompactRange(start, [bytes.fromhex(h) for h in prefix])
    expected = start
    if start == 0:
        prev: bytes | None = ZERO_HASH
    elif start % 2 == 1:
        prev = cr.hashes[-1]
    else:
        prev = None

    # --- Step 3: entries ------------------------------------------------------
    lineno = 1
    checkpoint_line = None
    for raw in it:
        lineno += 1
        obj = _parse_line(raw, lineno, expected)
        if not isinstance(obj, dict):
            raise VerifyError(expected, f"line {lineno} is not a JSON object")
        if "checkpoint" in obj and "entry" not in obj:
            _require_newline(raw, lineno, None)
            _require_canonical(raw, obj, lineno, None)
            checkpoint_line = obj
            break
        _require_newline(raw, lineno, expected)
        _require_canonical(raw, obj, lineno, expected)
        if "entry" not in obj:
            raise VerifyError(expected, f"line {lineno} is neither an entry line nor the checkpoint")
        extra = set(obj) - ENTRY_LINE_MEMBERS - ENTRY_LINE_OPTIONAL
        if extra or not ENTRY_LINE_MEMBERS <= set(obj):
            raise VerifyError(expected, f"line {lineno}: entry line members must be entry, hash and optional sig")
        entry = obj["entry"]
        why = _check_entry_shape(entry)
        if why:
            raise VerifyError(expected, why)
        if entry["log"] != log:
            raise VerifyError(expected, "entry log differs from the header log")
        if entry["seq"] != expected:
            raise VerifyError(expected, f"entry seq is {entry['seq']}, expected {expected}")
        try:
            eh = leaf_hash(jcs(entry))
        except (JSONError, TypeError, ValueError) as e:
            raise VerifyError(expected, f"entry cannot be canonicalized: {e}") from None
        if not is_hex64(obj["hash"]):
            raise VerifyError(expected, "entry line hash is not 64 lower-case hex digits")
        if obj["hash"] != eh.hex():
            raise VerifyError(expected, "entry hash mismatch")
        if prev is not None and entry["prev"] != prev.hex():
            raise VerifyError(expected, "entry prev does not match the previous entry hash")
        if require_entry_signatures and "sig" not in obj:
            raise VerifyError(expected, "per-entry signatures are required but this entry has none")
        if "sig" in obj:
            try:
                sig = b64decode_strict(obj["sig"])
            except ValueError:
                raise VerifyError(expected, "entry sig is not valid base64") from None
            if not key.verify(sig, entry_signature_message(eh)):
                raise VerifyError(expected, "entry signature does not verify")
        cr.append(eh)
        prev = eh
        expected += 1

    # --- Step 4: checkpoint ---------------------------------------------------
    if checkpoint_line is None:
        raise VerifyError(None, "bundle ends before the checkpoint line")
    if set(checkpoint_line) != {"checkpoint"}:
        raise VerifyError(None, "checkpoint line has members other than checkpoint")
    try:
        note = parse_signed_note(checkpoint_line["checkpoint"])
        cp = parse_checkpoint(note.text)
    except NoteError as e:
        raise VerifyError(None, f"checkpoint: {e}") from None
    if cp.origin != log:
        raise VerifyError(None, "checkpoint origin differs from the header log")
    try:
        verify_note(note, key)
    except NoteError as e:
        raise VerifyError(None, str(e)) from None
    if cp.size != expected:
        raise VerifyError(None, f"checkpoint size {cp.size} != start + entries = {expected}")
    root = cr.root()
    if cp.root != root:
        raise VerifyError(None, "checkpoint root differs from the root of the entries")

    # --- Step 5: nothing after the checkpoint ------------------------------------
    for _ in it:
        raise VerifyError(None, "data after the checkpoint line")

    return Result(log, start, expected, root)


def verify_bundle_file(path: str, key: VerifierKey, require_entry_signatures: bool = False) -> Result:
    f = sys.stdin.buffer if path == "-" else open(path, "rb")
    try:
        return verify_bundle_lines(f, key, require_entry_signatures)
    finally:
        if f is not sys.stdin.buffer:
            f.close()


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # exit status 2 on bad usage
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(2)


def main(argv: list[str] | None = None) -> int:
    p = _Parser(prog="attest_verify.py",
                description="Independent verifier for Attest export bundles (docs/FORMAT.md).")
    p.add_argument("bundle", help="export bundle (NDJSON), or - for standard input")
    p.add_argument("--key", required=True, help="trusted verifier key name+hex8+base64")
    p.add_argument("--json", action="store_true", help="print a JSON object instead of a line")
    p.add_argument("--require-entry-signatures", action="store_true",
                   help="fail unless every entry line carries a per-entry signature")
    args = p.parse_args(argv)

    try:
        key = parse_verifier_key(args.key.strip())
    except KeyError_ as e:
        print(f"attest_verify.py: bad --key: {e}", file=sys.stderr)
        return 2

    try:
        res = verify_bundle_file(args.bundle, key, args.require_entry_signatures)
    except OSError as e:
        print(f"attest_verify.py: cannot read {args.bundle}: {e.strerror or e}", file=sys.stderr)
        return 2
    except VerifyError as e:
        if args.json:
            print(json.dumps({"ok": False, "seq": e.seq, "reason": e.reason}, ensure_ascii=False, separators=(",", ":")))
        else:
            print(f"FAIL {'-' if e.seq is None else e.seq} {e.reason}")
        return 1

    if args.json:
        print(json.dumps({"ok": True, "origin": res.origin, "start": res.start, "end": res.end,
                          "root": res.root.hex()}, ensure_ascii=False, separators=(",", ":")))
    else:
        print(f"OK {res.origin} {res.start} {res.end} {res.root.hex()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
