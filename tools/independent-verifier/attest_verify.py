#!/usr/bin/env python3
"""Independent verifier for Attest export bundles (ledger format version 1).

Written from docs/FORMAT.md alone (plus the public standards it cites: RFC 8259 /
RFC 7493 I-JSON, RFC 8785 JCS, RFC 9162 §2.1, C2SP signed-note and tlog-checkpoint).

Usage:
    python3 attest_verify.py BUNDLE --key VERIFIER_KEY [--json]

Prints one line: ``OK <origin> <start> <end> <root-hex>`` (exit 0) or
``FAIL <seq-or-"-"> <reason>`` (exit 1). Bad usage or an unreadable file: message on
stderr, exit 2. With ``--json`` the success object also lists the key history followed
(``"keys"``, oldest first).

Keys may be Ed25519 (signed-note type 0x01) or ECDSA P-256 (type 0x02). Key rotations
recorded in the log (``ledger.key_rotation`` entries) are followed: the header's
``verifier_key`` is the key in effect at ``start``, each rotation entry hands over to its
``new_key``, and the pinned ``--key`` must be one of the keys of that history (FORMAT.md §5, §7).

Dependencies: the Python 3.11 standard library and ``cryptography`` (Ed25519, ECDSA P-256).
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
    "VerifierKey", "parse_verifier_key", "parse_private_key", "key_id", "ALG_ED25519", "ALG_ECDSA",
    "RotationError", "rotation_statement", "is_rotation_entry", "check_rotation_entry",
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
# Keys (C2SP signed-note: Ed25519 type 0x01, ECDSA P-256 type 0x02)
# ---------------------------------------------------------------------------

ALG_ED25519 = 0x01
ALG_ECDSA = 0x02
# DER SubjectPublicKeyInfo of a P-256 key with an uncompressed point (RFC 5480).
P256_SPKI_LEN = 91


def is_valid_key_name(name: str) -> bool:
    """C2SP key-name rules: non-empty, no Unicode white space, no '+'."""
    if not name or "+" in name:
        return False
    return not any(c.isspace() for c in name)


def key_id(name: str, pubkey: bytes, alg: int = ALG_ED25519) -> bytes:
    """The signed-note key ID of a key.

    Ed25519 (0x01): first 4 bytes of SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key).
    ECDSA (0x02): first 4 bytes of SHA-256(DER SubjectPublicKeyInfo); the name and the type
    byte are not hashed (FORMAT.md §5 Keys, C2SP signed-note).
    """
    if alg == ALG_ECDSA:
        return hashlib.sha256(pubkey).digest()[:4]
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([alg]) + pubkey).digest()[:4]


def _load_p256_spki(der: bytes):
    """Load a DER SPKI that must be a NIST P-256 public key in its canonical encoding."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    try:
        pk = serialization.load_der_public_key(der)
    except (ValueError, TypeError) as e:
        raise KeyError_(f"ECDSA key data is not a DER SubjectPublicKeyInfo: {e}") from None
    except Exception as e:  # e.g. cryptography.exceptions.UnsupportedAlgorithm
        raise KeyError_(f"ECDSA key data is not a supported public key: {e}") from None
    if not isinstance(pk, ec.EllipticCurvePublicKey):
        raise KeyError_("type 0x02 key is not an elliptic-curve public key")
    if not isinstance(pk.curve, ec.SECP256R1):
        raise KeyError_(f"ECDSA key is on {pk.curve.name}, only NIST P-256 is supported")
    # The key ID hashes these exact bytes, so only the one canonical encoding (91 bytes,
    # named curve, uncompressed point) is accepted.
    canonical = pk.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if canonical != der or len(der) != P256_SPKI_LEN:
        raise KeyError_("ECDSA key is not the canonical DER SPKI of a P-256 key (uncompressed point)")
    return pk


class VerifierKey:
    """A signed-note verifier key: Ed25519 (``alg`` 0x01) or ECDSA P-256 (``alg`` 0x02).

    ``pubkey`` is the key data after the type byte: 32 raw bytes for Ed25519, the DER
    SubjectPublicKeyInfo for ECDSA. ``text`` is the verifier key string it was parsed from.
    """

    def __init__(self, name: str, kid: bytes, pubkey: bytes, text: str, alg: int = ALG_ED25519):
        self.name = name
        self.key_id = kid
        self.pubkey = pubkey
        self.text = text
        self.alg = alg
        if alg == ALG_ED25519:
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
            self._pk = Ed25519PublicKey.from_public_bytes(pubkey)
        elif alg == ALG_ECDSA:
            self._pk = _load_p256_spki(pubkey)
        else:
            raise KeyError_(f"unsupported signature type 0x{alg:02x}")

    def verify(self, signature: bytes, message: bytes) -> bool:
        """Verify ``signature`` over ``message`` with this key's type.

        Ed25519: 64-byte RFC 8032 signature. ECDSA: ASN.1 DER ECDSA-Sig-Value over
        SHA-256(message); only strict DER is accepted.
        """
        from cryptography.exceptions import InvalidSignature
        if self.alg == ALG_ED25519:
            if len(signature) != 64:
                return False
            try:
                self._pk.verify(signature, message)
                return True
            except InvalidSignature:
                return False
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import (
            decode_dss_signature, encode_dss_signature)
        try:
            r, s = decode_dss_signature(signature)
        except (ValueError, TypeError):
            return False
        if r <= 0 or s <= 0 or encode_dss_signature(r, s) != signature:
            return False  # not strict DER (trailing bytes, BER lengths, padding)
        try:
            self._pk.verify(signature, message, ec.ECDSA(hashes.SHA256()))
            return True
        except (InvalidSignature, ValueError):
            return False

    def __repr__(self) -> str:
        return f"VerifierKey({self.text!r})"


def parse_verifier_key(text: str) -> VerifierKey:
    """Parse ``name+hex8+base64(type ‖ key data)``, splitting at the first two '+' only.

    Type 0x01: 32-byte Ed25519 public key. Type 0x02: DER SPKI of a NIST P-256 key. The
    key ID is checked in both cases.
    """
    if not isinstance(text, str):
        raise KeyError_("verifier key is not a string")
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
    if not raw:
        raise KeyError_("empty key data")
    alg, pub = raw[0], raw[1:]
    if alg == ALG_ED25519:
        if len(pub) != 32:
            raise KeyError_("key data must be 0x01 followed by a 32-byte Ed25519 public key")
    elif alg == ALG_ECDSA:
        _load_p256_spki(pub)  # raises KeyError_ for anything but a canonical P-256 SPKI
    else:
        raise KeyError_(f"unsupported signature type 0x{alg:02x} (only 0x01 Ed25519 and 0x02 ECDSA P-256)")
    kid = bytes.fromhex(hex8)
    if key_id(name, pub, alg) != kid:
        raise KeyError_("key ID does not match the key name and public key")
    return VerifierKey(name, kid, pub, text, alg)


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


def verify_note(note: SignedNote, key: VerifierKey, also_known: Iterable[VerifierKey] = (),
                label: str = "pinned key") -> None:
    """Check the signatures of ``note`` (C2SP signed-note).

    ``key`` must have signed it: at least one signature line by (key name, key ID) of ``key``,
    and every such line must verify. ``also_known`` are further keys the caller knows (for a
    bundle: the other keys of the key history it followed); their lines are not required but
    must verify if present ("if a signature from a known key fails to verify, clients SHOULD
    reject the whole note"). Lines by any other (name, key ID) are ignored. ``label`` names
    ``key`` in the error messages.
    """
    others = [k for k in also_known if k.text != key.text]
    known = 0
    body = note.text.encode("utf-8")
    for s in note.sigs:
        if s.name == key.name and s.key_id == key.key_id:
            if not key.verify(s.sig, body):
                raise NoteError(f"checkpoint signature by the {label} does not verify")
            known += 1
            continue
        for k in others:
            if s.name == k.name and s.key_id == k.key_id and not k.verify(s.sig, body):
                raise NoteError(f"checkpoint signature by {k.text} (an earlier key of the log) does not verify")
    if known == 0:
        raise NoteError(f"checkpoint is not signed by the {label}")


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


# ---------------------------------------------------------------------------
# Key rotation (FORMAT.md §5 "Key rotation")
# ---------------------------------------------------------------------------

ROTATION_ACTION = "ledger.key_rotation"
ROTATION_MEMBERS = {"old_key", "new_key", "old_signature", "new_signature"}
ROTATION_DOMAIN = "attest-key-rotation/v1"


class RotationError(ValueError):
    """A rotation entry is malformed or does not verify."""


def rotation_statement(origin: str, seq: int, old_key: str, new_key: str) -> bytes:
    """``attest-key-rotation/v1\n<origin>\n<R, decimal>\n<old_key>\n<new_key>\n`` as UTF-8."""
    return f"{ROTATION_DOMAIN}\n{origin}\n{seq}\n{old_key}\n{new_key}\n".encode("utf-8")


def is_rotation_entry(entry: dict) -> bool:
    """True when ``event.action`` is exactly the string ``ledger.key_rotation``."""
    event = entry.get("event")
    return isinstance(event, dict) and event.get("action") == ROTATION_ACTION


def check_rotation_entry(entry: dict, current: VerifierKey) -> VerifierKey:
    """Check a rotation entry against the key in effect ``current``; return its new key.

    ``entry`` is a well-formed section 3 entry whose ``event.action`` is ``ledger.key_rotation``.
    Raises RotationError with a reason; a reason about ``old_key`` not being the key in effect
    starts with "key mismatch".
    """
    origin, seq = entry["log"], entry["seq"]
    attrs = entry["event"].get("attributes")
    if not isinstance(attrs, dict):
        raise RotationError("key rotation entry: event.attributes is missing or not an object")
    kr = attrs.get("key_rotation")
    if not isinstance(kr, dict):
        raise RotationError("key rotation entry: event.attributes.key_rotation is missing or not an object")
    if set(kr) != ROTATION_MEMBERS:
        raise RotationError("key rotation entry: key_rotation must have exactly the members "
                            "old_key, new_key, old_signature, new_signature")
    if not all(isinstance(kr[m], str) for m in ROTATION_MEMBERS):
        raise RotationError("key rotation entry: key_rotation members must be strings")
    if kr["old_key"] != current.text:
        raise RotationError("key mismatch: rotation old_key is not the key in effect")
    old = current
    if old.name != origin:  # cannot happen: the key in effect is always named after the log
        raise RotationError("key rotation entry: old_key is not named after the log origin")
    try:
        new = parse_verifier_key(kr["new_key"])
    except KeyError_ as e:
        raise RotationError(f"key rotation entry: new_key is not a valid verifier key: {e}") from None
    if new.name != origin:
        raise RotationError("key rotation entry: new_key is not named after the log origin")
    if new.text == old.text:
        raise RotationError("key rotation entry: new_key equals old_key")
    stmt = rotation_statement(origin, seq, old.text, new.text)
    for member, k in (("old_signature", old), ("new_signature", new)):
        try:
            sig = b64decode_strict(kr[member])
        except ValueError:
            raise RotationError(f"key rotation entry: {member} is not canonical base64") from None
        if not k.verify(sig, stmt):
            raise RotationError(f"key rotation entry: {member} does not verify with "
                                f"{'old_key' if k is old else 'new_key'}")
    return new


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
    def __init__(self, origin: str, start: int, end: int, root: bytes, keys: list[str] | None = None):
        self.origin, self.start, self.end, self.root = origin, start, end, root
        # The key history followed, oldest first: the header's verifier_key, then the new_key
        # of every rotation entry read.
        self.keys = keys if keys is not None else []


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

    ``key`` is the pinned (trusted) key: it must be the header's ``verifier_key`` or the
    ``new_key`` of a rotation entry in the bundle (FORMAT.md §7 step 6). Signatures are
    checked with the key in effect, which starts as the header's ``verifier_key`` and follows
    the rotation entries. Raises VerifyError at the first failure.
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
    # The header's verifier_key is the key in effect at start (untrusted: step 6 ties the
    # pinned key to the key history followed from it).
    try:
        current = parse_verifier_key(header["verifier_key"])
    except KeyError_ as e:
        raise VerifyError(None, f"header verifier_key is not a valid verifier key: {e}") from None
    if current.name != log:
        raise VerifyError(None, "header verifier_key is not named after the header log")
    if key.name != log:
        raise VerifyError(None, "the pinned key's name differs from the header log")
    history: list[VerifierKey] = [current]
    pinned_seen = current.text == key.text
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
            if not current.verify(sig, entry_signature_message(eh)):
                raise VerifyError(expected, "entry signature does not verify with the key in effect")
        if is_rotation_entry(entry):
            try:
                current = check_rotation_entry(entry, current)
            except RotationError as e:
                raise VerifyError(expected, str(e)) from None
            history.append(current)
            pinned_seen = pinned_seen or current.text == key.text
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
    # Step 4: signed by the key in effect at the end. Lines by the other keys of the history
    # (e.g. the old key on a handover checkpoint) are not needed but must verify if present.
    label = "pinned key" if current.text == key.text else "key in effect"
    try:
        verify_note(note, current, history, label)
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

    # --- Step 6: the pinned key is in the key history -----------------------------
    if not pinned_seen:
        raise VerifyError(None, "key mismatch: the pinned key is neither the header verifier_key "
                                "nor the new_key of a rotation entry in the bundle")

    return Result(log, start, expected, root, [k.text for k in history])


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
    p.add_argument("--key", required=True,
                   help="trusted verifier key name+hex8+base64 (type 0x01 Ed25519 or 0x02 ECDSA P-256)")
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
                          "root": res.root.hex(), "keys": res.keys}, ensure_ascii=False, separators=(",", ":")))
    else:
        print(f"OK {res.origin} {res.start} {res.end} {res.root.hex()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
