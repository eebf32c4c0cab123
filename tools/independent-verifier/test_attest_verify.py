"""Tests for attest_verify.py (the independent verifier written from docs/FORMAT.md).

Run:  python3 -m pytest -q tools/independent-verifier/test_attest_verify.py
Fixtures live in testdata/ next to this file (copies of public vectors), so the tests
work in a fresh clone.
"""

from __future__ import annotations

import base64
import glob
import hashlib
import io
import json
import os
import random
import shutil
import struct
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import attest_verify as av  # noqa: E402

TESTDATA = os.path.join(HERE, "testdata")


def bits(h: str) -> float:
    return struct.unpack(">d", bytes.fromhex(h))[0]


# ---------------------------------------------------------------------------
# RFC 8785 vectors (cyberphone/json-canonicalization testdata)
# ---------------------------------------------------------------------------

JCS_CASES = sorted(os.path.basename(p) for p in glob.glob(os.path.join(TESTDATA, "jcs", "input", "*.json")))


def test_jcs_vectors_present():
    assert len(JCS_CASES) >= 6


@pytest.mark.parametrize("name", JCS_CASES)
def test_jcs_vector(name):
    with open(os.path.join(TESTDATA, "jcs", "input", name), "rb") as f:
        value = av.strict_loads(f.read())
    with open(os.path.join(TESTDATA, "jcs", "output", name), "rb") as f:
        expected = f.read()
    assert av.jcs(value) == expected


# ---------------------------------------------------------------------------
# ECMAScript Number.prototype.toString
# ---------------------------------------------------------------------------

NUMBER_CASES = [
    (0.0, "0"), (-0.0, "0"), (0, "0"), (1, "1"), (-1, "-1"), (1.0, "1"), (-1.0, "-1"),
    (100.0, "100"), (4.5, "4.5"), (4.50, "4.5"), (0.002, "0.002"), (56.0, "56"),
    (1e21, "1e+21"), (1e20, "100000000000000000000"), (2.5e-7, "2.5e-7"), (-2.5e-7, "-2.5e-7"),
    (1e-7, "1e-7"), (1e-6, "0.000001"), (1.5e-6, "0.0000015"), (0.000001234, "0.000001234"),
    (1.234e-7, "1.234e-7"), (123456789012345680000.0, "123456789012345680000"),
    (1.2345e21, "1.2345e+21"), (1e30, "1e+30"), (1e-27, "1e-27"), (0.1 + 0.2, "0.30000000000000004"),
    (333333333.33333329, "333333333.3333333"), (2.0**53, "9007199254740992"),
    (9007199254740991, "9007199254740991"), (-9007199254740991, "-9007199254740991"),
    (123.456, "123.456"), (0.5, "0.5"), (1e-300, "1e-300"), (-1e300, "-1e+300"),
    # RFC 8785 Appendix B (IEEE 754 bit patterns)
    (bits("0000000000000000"), "0"),
    (bits("8000000000000000"), "0"),
    (bits("0000000000000001"), "5e-324"),
    (bits("8000000000000001"), "-5e-324"),
    (bits("7fefffffffffffff"), "1.7976931348623157e+308"),
    (bits("ffefffffffffffff"), "-1.7976931348623157e+308"),
    (bits("4340000000000000"), "9007199254740992"),
    (bits("c340000000000000"), "-9007199254740992"),
    (bits("4430000000000000"), "295147905179352830000"),
    (bits("44b52d02c7e14af5"), "9.999999999999997e+22"),
    (bits("44b52d02c7e14af6"), "1e+23"),
    (bits("44b52d02c7e14af7"), "1.0000000000000001e+23"),
    (bits("444b1ae4d6e2ef4e"), "999999999999999700000"),
    (bits("444b1ae4d6e2ef4f"), "999999999999999900000"),
    (bits("444b1ae4d6e2ef50"), "1e+21"),
    (bits("3eb0c6f7a0b5ed8c"), "9.999999999999997e-7"),
    (bits("3eb0c6f7a0b5ed8d"), "0.000001"),
    (bits("41b3de4355555553"), "333333333.3333332"),
    (bits("41b3de4355555554"), "333333333.33333325"),
    (bits("41b3de4355555555"), "333333333.3333333"),
    (bits("41b3de4355555556"), "333333333.3333334"),
    (bits("41b3de4355555557"), "333333333.33333343"),
    (bits("becbf647612f3696"), "-0.0000033333333333333333"),
    (bits("43143ff3c1cb0959"), "1424953923781206.2"),
]


@pytest.mark.parametrize("x,expected", NUMBER_CASES)
def test_format_number(x, expected):
    assert av.format_number(x) == expected


@pytest.mark.parametrize("x", [float("nan"), float("inf"), float("-inf")])
def test_format_number_rejects_non_finite(x):
    with pytest.raises(ValueError):
        av.format_number(x)


@pytest.mark.skipif(shutil.which("node") is None, reason="node not installed")
def test_format_number_against_node_random():
    rnd = random.Random(8785)
    xs = []
    while len(xs) < 20000:
        x = struct.unpack("<d", rnd.getrandbits(64).to_bytes(8, "little"))[0]
        if x == x and abs(x) != float("inf"):
            xs.append(x)
    xs += [rnd.uniform(-1, 1) * 10.0 ** rnd.randint(-9, 23) for _ in range(20000)]
    xs += [float(rnd.randint(-2**60, 2**60)) for _ in range(2000)]
    hexes = [struct.pack(">d", x).hex() for x in xs]
    js = ("const l=require('fs').readFileSync(0,'utf8').trim().split('\\n');"
          "const b=Buffer.alloc(8);"
          "process.stdout.write(l.map(h=>{b.write(h,'hex');return String(b.readDoubleBE(0));}).join('\\n'));")
    out = subprocess.run(["node", "-e", js], input="\n".join(hexes), capture_output=True, text=True, check=True).stdout
    for x, want in zip(xs, out.split("\n")):
        assert av.format_number(x) == want, (x, want)


def test_jcs_numbers_and_literals():
    v = av.strict_loads(b'[1e21, 2.5e-7, -0.0, -0, 1.0, 10, true, false, null, 1E2, 0.1e1]')
    assert av.jcs(v) == b"[1e+21,2.5e-7,0,0,1,10,true,false,null,100,1]"


def test_jcs_strings():
    s = "\"\\\b\f\n\r\t\x00\x01\x1f\x7f\u2028\u2029/é\U0001F600"
    assert av.jcs(s) == ('"\\"\\\\\\b\\f\\n\\r\\t\\u0000\\u0001\\u001f\x7f\u2028\u2029/é\U0001F600"').encode("utf-8")


def test_jcs_key_order_utf16():
    v = {"\ue000": 1, "\U00010000": 2, "a": 3, "é": 4, "": 5, "\U0001F600": 6, "aa": 7, "B": 8}
    # UTF-16: "" < "B" < "a" < "aa" < "é" (00E9) < U+10000 (D800 DC00) < U+1F600 (D83D DE00) < U+E000
    assert av.jcs(v) == '{"":5,"B":8,"a":3,"aa":7,"é":4,"\U00010000":2,"\U0001F600":6,"\ue000":1}'.encode()


def test_jcs_no_normalization():
    assert av.jcs({"é": 1, "e\u0301": 2}) == '{"e\u0301":2,"é":1}'.encode()


def test_jcs_nested():
    v = av.strict_loads('{"b":[1,[2,[3,{"z":1,"a":[]}]]],"a":{}}')
    assert av.jcs(v) == b'{"a":{},"b":[1,[2,[3,{"a":[],"z":1}]]]}'


# ---------------------------------------------------------------------------
# Strict JSON reader
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    '{"a":1,"a":2}',
    '{"a":{"b":1,"b":1}}',
    '{"a":1,"\\u0061":2}',
    '[{"x":1},{"y":1,"y":2}]',
    '9007199254740992.5e999',
    '9007199254740993',
    '-9007199254740993',
    '12345678901234567890',
    '1000000000000000000000',   # canonical spelling is 1e+21
    '100000000000000000001',
    '1' + '0' * 5000,
    str(2**1024 - 1),
    'NaN', '-NaN', 'Infinity', '-Infinity', '[NaN]', '{"x":Infinity}',
    '1e400', '-1e400',
    '"\\ud800"', '"\\udc00x"', '{"\\ud83d":1}', '["\\ude00\\ud83d"]',
    "\ufeff{}",
    '{"a":1', '', ' ', '{"a":1}x', "{'a':1}", '[1,]', '{"a":"\x01"}', '01', '+1', '.5', '1.',
])
def test_strict_loads_rejects(text):
    with pytest.raises(av.JSONError):
        av.strict_loads(text)


def test_strict_loads_rejects_invalid_utf8():
    with pytest.raises(av.JSONError):
        av.strict_loads(b'{"a":"\xff"}')
    with pytest.raises(av.JSONError):
        av.strict_loads(b'{"a":"\xed\xa0\x80"}')  # UTF-8-encoded surrogate


def test_strict_loads_accepts_and_keeps_types():
    v = av.strict_loads('{"i":1,"f":1.0,"e":1e2,"t":true,"n":null,"max":9007199254740991,'
                        '"min":-9007199254740991,"s":"\\ud83d\\ude00","z":-0}')
    assert type(v["i"]) is int and v["i"] == 1
    assert type(v["f"]) is float and v["f"] == 1.0
    assert type(v["e"]) is float
    assert v["t"] is True and v["n"] is None
    assert v["max"] == 2**53 - 1 and type(v["max"]) is int
    assert v["min"] == -(2**53 - 1)
    assert v["s"] == "\U0001F600"


@pytest.mark.parametrize("tok,val", [
    ("100000000000000000000", 1e20), ("123456789012345680000", 123456789012345680000.0),
    ("-295147905179352830000", -(2.0**68)), ("9007199254740992", 2.0**53),
    ("9007199254740993", 2.0**53), ("1000000000000000000000", 1e21),
])
def test_big_integer_literals(tok, val):
    # Ingest rule (I-JSON): refused.
    with pytest.raises(av.JSONError):
        av.strict_loads(tok)
    # FORMAT.md §2 for entries and bundles: read as the nearest double, do not reject.
    v = av.strict_loads(tok, big_ints="double")
    assert type(v) is float and v == val
    assert av.jcs(v) == av.format_number(val).encode()


def test_big_integer_literal_canonical_round_trip():
    # RFC 8785 writes the double 1e20 in plain digits; reading it back gives the same bytes.
    for tok in ["100000000000000000000", "123456789012345680000", "-295147905179352830000"]:
        assert av.jcs(av.strict_loads(tok, big_ints="double")) == tok.encode()


@pytest.mark.parametrize("tok", [str(2**1024 - 1), "1" + "0" * 400, "-1" + "0" * 400])
def test_big_integer_literal_beyond_double_range(tok):
    with pytest.raises(av.JSONError):
        av.strict_loads(tok, big_ints="double")


# ---------------------------------------------------------------------------
# Merkle tree and compact ranges
# ---------------------------------------------------------------------------

def leaves(n):
    return [av.leaf_hash(b"leaf %d" % i) for i in range(n)]


def naive_mth(ls):
    # straight from RFC 9162 §2.1.1, independent of av.mth
    if not ls:
        return hashlib.sha256(b"").digest()
    if len(ls) == 1:
        return ls[0]
    k = 1 << ((len(ls) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + naive_mth(ls[:k]) + naive_mth(ls[k:])).digest()


def test_empty_root():
    assert av.EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert av.CompactRange().root() == av.EMPTY_ROOT


def test_leaf_and_node_hash():
    assert av.leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    a, b = b"\x11" * 32, b"\x22" * 32
    assert av.node_hash(a, b) == hashlib.sha256(b"\x01" + a + b).digest()


@pytest.mark.parametrize("n", range(0, 71))
def test_compact_range_root_matches_naive_mth(n):
    ls = leaves(n)
    cr = av.CompactRange()
    for h in ls:
        cr.append(h)
    assert cr.size == n
    assert len(cr.hashes) == bin(n).count("1")
    assert cr.root() == naive_mth(ls) == av.mth(ls)


def compact_range_of_prefix(ls, m):
    """Compact range of [0, m) built from the definition (perfect subtrees, highest bit first)."""
    out, pos = [], 0
    for b in range(m.bit_length() - 1, -1, -1):
        if m >> b & 1:
            out.append(naive_mth(ls[pos:pos + (1 << b)]))
            pos += 1 << b
    return out


@pytest.mark.parametrize("m", [0, 1, 2, 3, 4, 5, 6, 7, 8, 15, 16, 17, 31, 32, 33, 40])
def test_compact_range_from_prefix(m):
    ls = leaves(70)
    prefix = compact_range_of_prefix(ls, m)
    cr = av.CompactRange(m, prefix)
    assert cr.root() == naive_mth(ls[:m])
    for n in range(m, 70):
        cr.append(ls[n])
        assert cr.root() == naive_mth(ls[:n + 1])
    # and it agrees, hash for hash, with a range built by appending from 0
    full = av.CompactRange()
    for h in ls[:m]:
        full.append(h)
    assert full.hashes == prefix


def test_compact_range_examples_from_spec():
    ls = leaves(7)
    assert compact_range_of_prefix(ls, 6) == [naive_mth(ls[0:4]), naive_mth(ls[4:6])]
    cr = av.CompactRange()
    for h in ls:
        cr.append(h)
    assert cr.hashes == [naive_mth(ls[0:4]), naive_mth(ls[4:6]), ls[6]]


def test_compact_range_rejects_wrong_length():
    with pytest.raises(ValueError):
        av.CompactRange(7, [b"\x00" * 32] * 2)


CLASSIC_LEAVES = [bytes.fromhex(h) for h in [
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f"]]


def test_classic_rfc6962_roots():
    """Roots of the classic 8-leaf tree, taken from transparency-dev/merkle testdata."""
    roots = {}
    for p in glob.glob(os.path.join(TESTDATA, "merkle", "*.json")):
        with open(p) as f:
            d = json.load(f)
        roots[d["size1"]] = base64.b64decode(d["root1"])
        roots[d["size2"]] = base64.b64decode(d["root2"])
    assert len(roots) >= 4
    cr = av.CompactRange()
    got = {}
    for i, data in enumerate(CLASSIC_LEAVES):
        cr.append(av.leaf_hash(data))
        got[i + 1] = cr.root()
    for size, root in roots.items():
        assert got[size] == root, size


# ---------------------------------------------------------------------------
# Signed notes and keys
# ---------------------------------------------------------------------------

def load_note_vector():
    with open(os.path.join(TESTDATA, "signed-note", "ed25519.json")) as f:
        return json.load(f)


def test_signed_note_vector():
    vec = load_note_vector()
    name, kid, seed = av.parse_private_key(vec["private_key"])
    assert name == "PeterNeumann"
    assert kid.hex() == "c74f20a3"
    sk = Ed25519PrivateKey.from_private_bytes(seed)
    pub = sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert av.key_id("PeterNeumann", pub).hex() == "c74f20a3"
    vkey_text = "PeterNeumann+c74f20a3+" + base64.b64encode(b"\x01" + pub).decode()
    vkey = av.parse_verifier_key(vkey_text)
    assert vkey.name == "PeterNeumann" and vkey.key_id.hex() == "c74f20a3"

    note = av.parse_signed_note(vec["text"] + "\n" + vec["signature_line"] + "\n")
    assert note.text == vec["text"]
    assert len(note.sigs) == 1 and note.sigs[0].name == "PeterNeumann"
    assert note.sigs[0].key_id.hex() == "c74f20a3"
    av.verify_note(note, vkey)  # does not raise
    # Ed25519 is deterministic: signing gives exactly the vector's line
    line = "\u2014 PeterNeumann " + base64.b64encode(kid + sk.sign(vec["text"].encode())).decode()
    assert line == vec["signature_line"]


def test_signed_note_tampered_and_unknown():
    vec = load_note_vector()
    _, kid, seed = av.parse_private_key(vec["private_key"])
    pub = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    vkey = av.parse_verifier_key("PeterNeumann+c74f20a3+" + base64.b64encode(b"\x01" + pub).decode())
    bad = av.parse_signed_note(vec["text"].replace("problem", "Problem", 1) + "\n" + vec["signature_line"] + "\n")
    with pytest.raises(av.NoteError):
        av.verify_note(bad, vkey)
    # only an unknown signer: no known key signed
    other = "\u2014 Someone " + base64.b64encode(b"\x01\x02\x03\x04" + bytes(64)).decode()
    with pytest.raises(av.NoteError):
        av.verify_note(av.parse_signed_note(vec["text"] + "\n" + other + "\n"), vkey)
    # an unknown signer next to the known one is ignored
    av.verify_note(av.parse_signed_note(vec["text"] + "\n" + other + "\n" + vec["signature_line"] + "\n"), vkey)


@pytest.mark.parametrize("note", [
    "a\nb\n",                      # no blank line
    "a\n\n",                       # no signature lines
    "a\n\n\u2014 K AAAAAAA=",      # no final newline
    "a\n\n- K AAAAAAAA\n",         # hyphen, not em dash
    "a\n\n\u2014 K\n",             # no signature
    "a\n\n\u2014 K AAAA\n",        # shorter than 5 bytes
    "a\n\n\u2014 K+x AAAAAAAA\n",  # '+' in key name
    "a\n\n\u2014 K !!!!\n",        # not base64
    "a\tb\n\n\u2014 K AAAAAAAA\n",  # control character
])
def test_parse_signed_note_rejects(note):
    with pytest.raises(av.NoteError):
        av.parse_signed_note(note)


def test_key_id_and_verifier_key_with_plus_in_base64():
    # find a key whose base64 contains '+' to exercise "split at the first two + only"
    for i in range(1000):
        seed = hashlib.sha256(b"seed %d" % i).digest()
        pub = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        b64 = base64.b64encode(b"\x01" + pub).decode()
        if "+" in b64:
            break
    else:  # pragma: no cover
        pytest.skip("no key with '+' found")
    name = "attest.example.com/default"
    kid = hashlib.sha256(name.encode() + b"\n\x01" + pub).digest()[:4]
    assert av.key_id(name, pub) == kid
    k = av.parse_verifier_key(f"{name}+{kid.hex()}+{b64}")
    assert k.pubkey == pub and k.name == name


@pytest.mark.parametrize("text", [
    "name+c74f20a3",                    # too few fields
    "+c74f20a3+AAAA",                   # empty name
    "na me+c74f20a3+AAAA",              # white space in name
    "name+C74F20A3+AAAA",               # upper-case hex
    "name+c74f20a+AAAA",                # 7 hex digits
    "name+c74f20a3+AQ==",               # too short
])
def test_parse_verifier_key_rejects(text):
    with pytest.raises(av.KeyError_):
        av.parse_verifier_key(text)


def test_parse_verifier_key_rejects_wrong_id_and_alg():
    pub = bytes(range(32))
    name = "x/y"
    kid = av.key_id(name, pub).hex()
    good = f"{name}+{kid}+" + base64.b64encode(b"\x01" + pub).decode()
    av.parse_verifier_key(good)
    wrong_id = f"{name}+{'%08x' % (int(kid, 16) ^ 1)}+" + base64.b64encode(b"\x01" + pub).decode()
    with pytest.raises(av.KeyError_):
        av.parse_verifier_key(wrong_id)
    wrong_alg = f"{name}+{kid}+" + base64.b64encode(b"\x02" + pub).decode()
    with pytest.raises(av.KeyError_):
        av.parse_verifier_key(wrong_alg)


def test_parse_checkpoint():
    root = bytes(range(32))
    cp = av.parse_checkpoint("o/t\n12\n" + base64.b64encode(root).decode() + "\n")
    assert (cp.origin, cp.size, cp.root, cp.extensions) == ("o/t", 12, root, [])
    cp = av.parse_checkpoint("o/t\n0\n" + base64.b64encode(root).decode() + "\next\n")
    assert cp.extensions == ["ext"]
    for bad in ["o/t\n012\n" + base64.b64encode(root).decode() + "\n",
                "o/t\n-1\n" + base64.b64encode(root).decode() + "\n",
                "o/t\n1\n" + base64.b64encode(root[:31]).decode() + "\n",
                "o/t\n1\n",
                "\n1\n" + base64.b64encode(root).decode() + "\n",
                "o/t\n1\n" + base64.b64encode(root).decode()]:
        with pytest.raises(av.NoteError):
            av.parse_checkpoint(bad)


# ---------------------------------------------------------------------------
# End-to-end: synthetic bundles signed by a test key
# ---------------------------------------------------------------------------

ORIGIN = "attest.test/default"
SEED = hashlib.sha256(b"independent verifier test key").digest()
SK = Ed25519PrivateKey.from_private_bytes(SEED)
PUB = SK.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
KID = av.key_id(ORIGIN, PUB)
VKEY_TEXT = f"{ORIGIN}+{KID.hex()}+" + base64.b64encode(b"\x01" + PUB).decode()
VKEY = av.parse_verifier_key(VKEY_TEXT)


def sign_note(body: str, sk=SK, name=ORIGIN, kid=KID) -> str:
    return body + "\n" + "\u2014 %s %s\n" % (name, base64.b64encode(kid + sk.sign(body.encode())).decode())


def make_log(n, sign_entries=False):
    entries, hashes, prev = [], [], bytes(32)
    for i in range(n):
        e = {"v": 1, "log": ORIGIN, "seq": i, "prev": prev.hex(),
             "received_at": "2026-11-23T08:15:30.%06dZ" % i,
             "event": {"action": "file.write", "actor": {"id": "u%d" % i},
                       "attributes": {"i": i, "f": i + 0.5, "ké": [1, [2, [3]]], "n": 1e21, "z": -0.0}}}
        h = av.leaf_hash(av.jcs(e))
        line = {"entry": e, "hash": h.hex()}
        if sign_entries:
            line["sig"] = base64.b64encode(SK.sign(b"attest-entry-v1:" + h)).decode()
        entries.append(line)
        hashes.append(h)
        prev = h
    return entries, hashes


def make_bundle(n=20, start=0, end=None, sign_entries=False) -> list[bytes]:
    end = n if end is None else end
    entries, hashes = make_log(n, sign_entries)
    header = {"bundle": "attest/v1", "log": ORIGIN, "verifier_key": VKEY_TEXT, "start": start,
              "prefix": [h.hex() for h in compact_range_of_prefix(hashes, start)]}
    body = f"{ORIGIN}\n{end}\n{base64.b64encode(naive_mth(hashes[:end])).decode()}\n"
    lines = [av.jcs(header)] + [av.jcs(e) for e in entries[start:end]] + [av.jcs({"checkpoint": sign_note(body)})]
    return [l + b"\n" for l in lines]


def run(lines):
    try:
        r = av.verify_bundle_lines(lines, VKEY)
        return ("OK", r.start, r.end, r.root.hex())
    except av.VerifyError as e:
        return ("FAIL", e.seq, e.reason)


@pytest.mark.parametrize("start", [0, 1, 2, 3, 4, 7, 8, 15, 16, 19, 20])
@pytest.mark.parametrize("sign_entries", [False, True])
def test_bundle_ok(start, sign_entries):
    _, hashes = make_log(20)
    assert run(make_bundle(20, start, sign_entries=sign_entries)) == ("OK", start, 20, naive_mth(hashes).hex())


def test_bundle_partial_end():
    _, hashes = make_log(20)
    assert run(make_bundle(20, 5, 13)) == ("OK", 5, 13, naive_mth(hashes[:13]).hex())


def test_bundle_big_integer_read_as_double():
    """FORMAT.md §2: an integer literal beyond 2^53 in a bundle is read as the nearest double."""
    entries, _ = make_log(5)
    entries[2]["entry"]["event"]["attributes"]["big"] = 1e20
    # rebuild the chain by hand
    prev, hashes = bytes(32), []
    for e in entries:
        e["entry"]["prev"] = prev.hex()
        prev = av.leaf_hash(av.jcs(e["entry"]))
        e["hash"] = prev.hex()
        hashes.append(prev)
    header = {"bundle": "attest/v1", "log": ORIGIN, "verifier_key": VKEY_TEXT, "start": 0, "prefix": []}
    body = f"{ORIGIN}\n5\n{base64.b64encode(naive_mth(hashes)).decode()}\n"
    lines = [av.jcs(header) + b"\n"] + [av.jcs(e) + b"\n" for e in entries] + \
        [av.jcs({"checkpoint": sign_note(body)}) + b"\n"]
    assert b'"big":100000000000000000000' in lines[3]
    assert run(lines)[0] == "OK"
    # Another spelling of the same double is not the canonical line: refused, at that entry.
    assert run(edit(lines, 3, b'"big":100000000000000000000', b'"big":1e20'))[:2] == ("FAIL", 2)
    assert run(edit(lines, 3, b'"big":100000000000000000000', b'"big":100000000000000000001'))[:2] == ("FAIL", 2)


def test_bundle_non_canonical_lines_are_refused():
    """FORMAT.md §6: every line is its RFC 8785 form; any other spelling is refused."""
    lines = make_bundle(10, 3)
    relaxed = [json.dumps(json.loads(l), indent=None, ensure_ascii=True, separators=(" , ", " : ")).encode() + b"\r\n"
               for l in lines]
    assert run(relaxed)[:2] == ("FAIL", None)
    assert run(lines[:1] + [relaxed[1]] + lines[2:])[:2] == ("FAIL", 3)


def test_bundle_require_entry_signatures():
    """Stripping an optional per-entry signature is only caught when they are required."""
    signed = make_bundle(6, sign_entries=True)
    assert av.verify_bundle_lines(signed, VKEY, require_entry_signatures=True).end == 6
    stripped = list(signed)
    o = av.strict_loads(stripped[3][:-1])
    del o["sig"]
    stripped[3] = av.jcs(o) + b"\n"
    assert run(stripped)[0] == "OK"
    with pytest.raises(av.VerifyError) as e:
        av.verify_bundle_lines(stripped, VKEY, require_entry_signatures=True)
    assert e.value.seq == 2


def edit(lines, i, old, new):
    out = list(lines)
    assert old in out[i]
    out[i] = out[i].replace(old, new, 1)
    return out


def rehash(line: bytes) -> bytes:
    o = av.strict_loads(line[:-1])
    o["hash"] = av.leaf_hash(av.jcs(o["entry"])).hex()
    return av.jcs(o) + b"\n"


def test_bundle_failures():
    B = make_bundle(20)
    assert run(edit(B, 11, b'"u10"', b'"u1X"'))[:2] == ("FAIL", 10)            # changed char
    t = edit(B, 11, b'"u10"', b'"u1X"')
    t[11] = rehash(t[11])
    assert run(t)[:2] == ("FAIL", 11)                                        # hash fixed: chain breaks
    assert run(B[:11] + B[12:])[:2] == ("FAIL", 10)                          # removed line
    assert run(B[:11] + [B[12], B[11]] + B[13:])[:2] == ("FAIL", 10)         # swapped lines
    assert run(B[:15])[:2] == ("FAIL", None)                                 # truncated at a line
    joined = b"".join(B)
    cut = joined[: joined.index(b'"u7"')]
    assert run(io.BytesIO(cut))[:2] == ("FAIL", 7)                           # truncated mid-line
    assert run(io.BytesIO(joined[:-1]))[:2] == ("FAIL", None)                # missing final newline
    assert run(B + [b"{}\n"])[:2] == ("FAIL", None)                          # data after checkpoint
    assert run([])[:2] == ("FAIL", None)                                     # empty
    assert run(edit(B, 4, b'"i":3', b'"i":3,"i":3'))[:2] == ("FAIL", 3)      # duplicate key
    assert run(edit(B, 4, b'"i":3', b'"i":9007199254740993'))[:2] == ("FAIL", 3)  # changed value
    assert run(edit(B, 4, b'"i":3', b'"i":1' + b'0' * 400))[:2] == ("FAIL", 3)     # beyond doubles
    assert run(edit(B, 4, b'"i":3', b'"i":NaN'))[:2] == ("FAIL", 3)          # NaN
    assert run(edit(B, 4, b'"u3"', b'"\\ud800"'))[:2] == ("FAIL", 3)         # lone surrogate
    assert run(edit(B, 4, b'"seq":3', b'"seq":3.0'))[:2] == ("FAIL", 3)      # seq not an integer
    assert run(edit(B, 4, b'"v":1', b'"v":2'))[:2] == ("FAIL", 3)
    assert run(edit(B, 4, b'"entry"', b'"x"'))[:2] == ("FAIL", 3)            # neither entry nor checkpoint
    assert run(edit(B, 0, b'attest/v1', b'attest/v2'))[:2] == ("FAIL", None)


def test_bundle_checkpoint_failures():
    B = make_bundle(12)
    other = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"evil").digest())
    other_pub = other.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    _, hashes = make_log(12)
    body = f"{ORIGIN}\n12\n{base64.b64encode(naive_mth(hashes)).decode()}\n"
    evil = av.jcs({"checkpoint": sign_note(body, other, ORIGIN, av.key_id(ORIGIN, other_pub))}) + b"\n"
    assert run(B[:-1] + [evil]) == ("FAIL", None, "checkpoint is not signed by the pinned key")
    # wrong size
    body13 = f"{ORIGIN}\n13\n{base64.b64encode(naive_mth(hashes)).decode()}\n"
    assert run(B[:-1] + [av.jcs({"checkpoint": sign_note(body13)}) + b"\n"])[:2] == ("FAIL", None)
    # wrong root (root of 11)
    body_r = f"{ORIGIN}\n12\n{base64.b64encode(naive_mth(hashes[:11])).decode()}\n"
    assert run(B[:-1] + [av.jcs({"checkpoint": sign_note(body_r)}) + b"\n"])[2].startswith("checkpoint root")
    # bad signature by the known key
    cp = av.strict_loads(B[-1][:-1])["checkpoint"]
    assert run(B[:-1] + [av.jcs({"checkpoint": cp.replace("\n12\n", "\n12\nx\n", 1)}) + b"\n"])[:2] == ("FAIL", None)


def test_bundle_header_failures():
    B = make_bundle(12, 7)
    other_key = "other/x+" + av.key_id("other/x", PUB).hex() + "+" + base64.b64encode(b"\x01" + PUB).decode()
    assert run(edit(B, 0, VKEY_TEXT.encode(), other_key.encode()))[:2] == ("FAIL", None)
    assert run(edit(B, 0, b'"start":7', b'"start":6'))[:2] == ("FAIL", None)  # popcount
    h = av.strict_loads(B[0][:-1])
    h["prefix"][-1] = ("0" if h["prefix"][-1][0] != "0" else "1") + h["prefix"][-1][1:]
    assert run([av.jcs(h) + b"\n"] + B[1:])[:2] == ("FAIL", 7)  # odd start: prev checked directly
    B8 = make_bundle(12, 8)
    h = av.strict_loads(B8[0][:-1])
    h["prefix"][0] = ("0" if h["prefix"][0][0] != "0" else "1") + h["prefix"][0][1:]
    assert run([av.jcs(h) + b"\n"] + B8[1:]) == ("FAIL", None, "checkpoint root differs from the root of the entries")


def test_bundle_entry_signature_failures():
    B = make_bundle(6, sign_entries=True)
    o = av.strict_loads(B[3][:-1])
    s = bytearray(base64.b64decode(o["sig"]))
    s[5] ^= 1
    o["sig"] = base64.b64encode(bytes(s)).decode()
    assert run(B[:3] + [av.jcs(o) + b"\n"] + B[4:])[:2] == ("FAIL", 2)


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

def cli(*args, stdin=None):
    return subprocess.run([sys.executable, os.path.join(HERE, "attest_verify.py"), *args],
                          capture_output=True, text=True, input=stdin)


def test_cli(tmp_path):
    p = tmp_path / "b.ndjson"
    p.write_bytes(b"".join(make_bundle(9, 2)))
    _, hashes = make_log(9)
    r = cli(str(p), "--key", VKEY_TEXT)
    assert (r.returncode, r.stdout) == (0, f"OK {ORIGIN} 2 9 {naive_mth(hashes).hex()}\n")
    r = cli(str(p), "--key", VKEY_TEXT, "--json")
    assert r.returncode == 0
    assert json.loads(r.stdout) == {"ok": True, "origin": ORIGIN, "start": 2, "end": 9, "root": naive_mth(hashes).hex(),
                                    "keys": [VKEY_TEXT]}
    p.write_bytes(b"".join(edit(make_bundle(9, 2), 2, b'"u3"', b'"u4"')))
    r = cli(str(p), "--key", VKEY_TEXT)
    assert r.returncode == 1 and r.stdout.startswith("FAIL 3 ")
    r = cli(str(p), "--key", VKEY_TEXT, "--json")
    assert r.returncode == 1 and json.loads(r.stdout)["seq"] == 3 and json.loads(r.stdout)["ok"] is False
    assert cli(str(tmp_path / "missing"), "--key", VKEY_TEXT).returncode == 2
    assert cli(str(p)).returncode == 2
    assert cli(str(p), "--key", "garbage").returncode == 2


# ---------------------------------------------------------------------------
# ECDSA P-256 keys (signature type 0x02) and key rotation (FORMAT.md §5, §7)
# ---------------------------------------------------------------------------

from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402


def b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


class EdSigner:
    """An Ed25519 log key (type 0x01) and its verifier key string."""

    def __init__(self, label: bytes = b"", name: str = ORIGIN, sk=None):
        self.sk = sk or Ed25519PrivateKey.from_private_bytes(hashlib.sha256(label).digest())
        pub = self.sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.name = name
        self.kid = hashlib.sha256(name.encode() + b"\n\x01" + pub).digest()[:4]
        self.vkey = f"{name}+{self.kid.hex()}+" + b64(b"\x01" + pub)

    def sign(self, msg: bytes) -> bytes:
        return self.sk.sign(msg)


class EcSigner:
    """An ECDSA log key (type 0x02): key ID = SHA-256(DER SPKI)[:4], no name, no type byte."""

    def __init__(self, label: bytes, name: str = ORIGIN, curve=None):
        d = int.from_bytes(hashlib.sha256(label).digest(), "big") % (2**255) + 1
        self.sk = ec.derive_private_key(d, curve or ec.SECP256R1())
        self.der = self.sk.public_key().public_bytes(serialization.Encoding.DER,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo)
        self.name = name
        self.kid = hashlib.sha256(self.der).digest()[:4]
        self.vkey = f"{name}+{self.kid.hex()}+" + b64(b"\x02" + self.der)

    def sign(self, msg: bytes) -> bytes:
        return self.sk.sign(msg, ec.ECDSA(hashes.SHA256()))


ED0 = EdSigner(sk=SK)              # the original test key: ED0.vkey == VKEY_TEXT
EC1 = EcSigner(b"ecdsa key 1")
ED2 = EdSigner(b"ed25519 key 2")
EC_OTHER = EcSigner(b"ecdsa key other")
ED_OTHER = EdSigner(b"ed25519 key other")


def test_signers_match_the_spec_formats():
    assert ED0.vkey == VKEY_TEXT
    assert len(EC1.der) == 91


def note_signed_by(body: str, signers) -> str:
    return body + "\n" + "".join("\u2014 %s %s\n" % (s.name, b64(s.kid + s.sign(body.encode()))) for s in signers)


def rotation_event(seq, old, new, *, old_key=None, new_key=None, old_signer=None, new_signer=None,
                   extra=None, drop=None, stmt_seq=None, origin=ORIGIN):
    ok = old.vkey if old_key is None else old_key
    nk = new.vkey if new_key is None else new_key
    stmt = f"attest-key-rotation/v1\n{origin}\n{seq if stmt_seq is None else stmt_seq}\n{ok}\n{nk}\n".encode()
    kr = {"old_key": ok, "new_key": nk,
          "old_signature": b64((old_signer or old).sign(stmt)),
          "new_signature": b64((new_signer or new).sign(stmt))}
    kr.update(extra or {})
    for m in drop or ():
        del kr[m]
    return {"action": "ledger.key_rotation", "actor": {"id": "attest", "type": "system"},
            "attributes": {"key_rotation": kr}}


def make_rot_log(n, key0, rotations, sign_entries=True, events=None, entry_signers=None):
    """A log of n entries whose key starts as key0 and changes at the rotation entries.

    rotations: {seq: new signer} (a valid rotation entry unless events overrides it);
    events: {seq: event} replaces that entry's event; entry_signers: {seq: signer} signs that
    entry's sig with another key. Returns (lines, hashes, keys) with keys[i] = key(i), 0 ≤ i ≤ n.
    """
    events, entry_signers = events or {}, entry_signers or {}
    lines, hashes, keys, prev, cur = [], [], [], bytes(32), key0
    for i in range(n):
        keys.append(cur)
        if i in events:
            event = events[i]
        elif i in rotations:
            event = rotation_event(i, cur, rotations[i])
        else:
            event = {"action": "file.write", "actor": {"id": "u%d" % i}, "attributes": {"i": i, "f": i + 0.5}}
        e = {"v": 1, "log": ORIGIN, "seq": i, "prev": prev.hex(),
             "received_at": "2026-12-01T10:00:00.%06dZ" % i, "event": event}
        h = av.leaf_hash(av.jcs(e))
        line = {"entry": e, "hash": h.hex()}
        if sign_entries:
            line["sig"] = b64(entry_signers.get(i, cur).sign(b"attest-entry-v1:" + h))
        lines.append(line)
        hashes.append(h)
        prev = h
        if i in rotations:
            cur = rotations[i]
    keys.append(cur)
    return lines, hashes, keys


def make_rot_bundle(n, key0=ED0, rotations=None, start=0, end=None, sign_entries=True, events=None,
                    entry_signers=None, header_key=None, cp_signers=None, cp_extra_lines=""):
    """A bundle [start, end) of such a log. The header names key(start); the checkpoint is signed
    by key(end), and also by the old key when it is a handover checkpoint (size R + 1)."""
    rotations = rotations or {}
    end = n if end is None else end
    entries, hashes, keys = make_rot_log(n, key0, rotations, sign_entries, events, entry_signers)
    header = {"bundle": "attest/v1", "log": ORIGIN,
              "verifier_key": keys[start].vkey if header_key is None else header_key,
              "start": start, "prefix": [h.hex() for h in compact_range_of_prefix(hashes, start)]}
    if cp_signers is None:
        cp_signers = [keys[end]]
        if end - 1 in rotations:
            cp_signers.append(keys[end - 1])
    body = f"{ORIGIN}\n{end}\n{b64(naive_mth(hashes[:end]))}\n"
    note = note_signed_by(body, cp_signers) + cp_extra_lines
    lines = [av.jcs(header)] + [av.jcs(e) for e in entries[start:end]] + [av.jcs({"checkpoint": note})]
    return [l + b"\n" for l in lines]


def bundle_root(lines) -> str:
    """MTH of the entries of a bundle that starts at 0, recomputed from the entries themselves
    (ECDSA signatures are randomized, so rebuilding a log with rotations changes its hashes)."""
    entries = [av.strict_loads(l[:-1])["entry"] for l in lines[1:-1]]
    assert av.strict_loads(lines[0][:-1])["start"] == 0
    return naive_mth([av.leaf_hash(av.jcs(e)) for e in entries]).hex()


def run_pinned(lines, pinned):
    key = av.parse_verifier_key(pinned.vkey if hasattr(pinned, "vkey") else pinned)
    try:
        r = av.verify_bundle_lines(lines, key)
        return ("OK", r.start, r.end, r.root.hex(), r.keys)
    except av.VerifyError as e:
        return ("FAIL", e.seq, e.reason)


# --- ECDSA keys ---------------------------------------------------------------

def test_ecdsa_verifier_key():
    k = av.parse_verifier_key(EC1.vkey)
    assert (k.name, k.alg, k.pubkey, k.text) == (ORIGIN, av.ALG_ECDSA, EC1.der, EC1.vkey)
    assert k.key_id == hashlib.sha256(EC1.der).digest()[:4] == av.key_id(ORIGIN, EC1.der, av.ALG_ECDSA)
    # the key ID does not depend on the name
    assert av.parse_verifier_key("other.example/x+" + EC1.vkey.split("+", 1)[1]).key_id == k.key_id


def test_ecdsa_key_id_is_checked():
    rest = b64(b"\x02" + EC1.der)
    wrong = "%08x" % (int(EC1.kid.hex(), 16) ^ 1)
    with pytest.raises(av.KeyError_):
        av.parse_verifier_key(f"{ORIGIN}+{wrong}+{rest}")
    # the Ed25519 formula (name ‖ 0x0A ‖ type ‖ key) is not the ECDSA key ID
    ed_style = hashlib.sha256(ORIGIN.encode() + b"\n\x02" + EC1.der).digest()[:4].hex()
    with pytest.raises(av.KeyError_):
        av.parse_verifier_key(f"{ORIGIN}+{ed_style}+{rest}")
    # a hash over 0x02 ‖ DER (the type byte included) is not it either
    with_type = hashlib.sha256(b"\x02" + EC1.der).digest()[:4].hex()
    with pytest.raises(av.KeyError_):
        av.parse_verifier_key(f"{ORIGIN}+{with_type}+{rest}")


def ecdsa_like_key(der: bytes, name=ORIGIN, alg=b"\x02") -> str:
    return f"{name}+{hashlib.sha256(der).digest()[:4].hex()}+" + b64(alg + der)


@pytest.mark.parametrize("curve", [ec.SECP384R1(), ec.SECP521R1(), ec.SECP256K1()])
def test_ecdsa_key_on_another_curve_is_refused(curve):
    s = EcSigner(b"other curve", curve=curve)
    with pytest.raises(av.KeyError_, match="P-256|curve"):
        av.parse_verifier_key(s.vkey)


def test_ecdsa_key_encodings_refused():
    pk = EC1.sk.public_key()
    compressed_point = pk.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    # SPKI with a compressed point: SEQUENCE { AlgorithmIdentifier(ecPublicKey, prime256v1), BIT STRING }
    alg_id = bytes.fromhex("301306072a8648ce3d020106082a8648ce3d030107")
    bitstr = b"\x03" + bytes([len(compressed_point) + 1]) + b"\x00" + compressed_point
    body = alg_id + bitstr
    compressed_spki = b"\x30" + bytes([len(body)]) + body
    for der in [
        compressed_spki,
        EC1.der + b"\x00",                        # trailing byte
        EC1.der[:-1],                             # cut
        pk.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint),  # raw point
        ED0.sk.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo),
    ]:
        with pytest.raises(av.KeyError_):
            av.parse_verifier_key(ecdsa_like_key(der))
    # a P-256 SPKI under type 0x01, and an Ed25519 key under type 0x02
    with pytest.raises(av.KeyError_):
        av.parse_verifier_key(ecdsa_like_key(EC1.der, alg=b"\x01"))
    with pytest.raises(av.KeyError_):
        av.parse_verifier_key(ecdsa_like_key(EC1.der, alg=b"\x03"))


def test_ecdsa_signatures():
    k = av.parse_verifier_key(EC1.vkey)
    msg = b"attest-entry-v1:" + bytes(range(32))
    s1, s2 = EC1.sign(msg), EC1.sign(msg)
    assert s1 != s2                               # randomized, and both verify
    assert k.verify(s1, msg) and k.verify(s2, msg)
    assert not k.verify(s1, msg + b"x")
    assert not k.verify(EC_OTHER.sign(msg), msg)
    assert not k.verify(s1 + b"\x00", msg)        # not strict DER: trailing data
    assert not k.verify(b"", msg)
    assert not k.verify(ED0.sign(msg), msg)       # an Ed25519 signature
    assert not av.parse_verifier_key(ED0.vkey).verify(s1, msg)
    # ECDSA is over SHA-256(message), not over the message as a prehashed digest
    from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
    pre = EC1.sk.sign(hashlib.sha256(msg).digest(), ec.ECDSA(Prehashed(hashes.SHA256())))
    assert k.verify(pre, msg)
    assert not k.verify(EC1.sign(hashlib.sha256(msg).digest()), msg)


def test_ecdsa_signed_note():
    body = f"{ORIGIN}\n3\n{b64(bytes(32))}\n"
    k = av.parse_verifier_key(EC1.vkey)
    av.verify_note(av.parse_signed_note(note_signed_by(body, [EC1])), k)
    av.verify_note(av.parse_signed_note(note_signed_by(body, [ED0, EC1])), k)  # unknown Ed25519 line ignored
    with pytest.raises(av.NoteError):
        av.verify_note(av.parse_signed_note(note_signed_by(body, [EC_OTHER])), k)
    bad = note_signed_by(body, [EC1]).replace("\n3\n", "\n4\n", 1)
    with pytest.raises(av.NoteError):
        av.verify_note(av.parse_signed_note(bad), k)


@pytest.mark.parametrize("start", [0, 1, 4, 7, 12])
def test_bundle_fully_signed_by_ecdsa_key(start):
    B = make_rot_bundle(12, key0=EC1, start=start)
    _, hashes, _ = make_rot_log(12, EC1, {}, sign_entries=False)  # sigs are not in the hashes
    assert run_pinned(B, EC1) == ("OK", start, 12, naive_mth(hashes).hex(), [EC1.vkey])
    assert run_pinned(B, ED0)[:2] == ("FAIL", None)
    assert av.verify_bundle_lines(B, av.parse_verifier_key(EC1.vkey), require_entry_signatures=True).end == 12


def test_bundle_ecdsa_failures():
    # a per-entry signature by another ECDSA key
    assert run_pinned(make_rot_bundle(8, key0=EC1, entry_signers={5: EC_OTHER}), EC1)[:2] == ("FAIL", 5)
    # a checkpoint signed by another ECDSA key under the log's name
    B = make_rot_bundle(8, key0=EC1, cp_signers=[EC_OTHER])
    assert run_pinned(B, EC1) == ("FAIL", None, "checkpoint is not signed by the pinned key")
    # a checkpoint line by the key with a signature that does not verify
    B = make_rot_bundle(8, key0=EC1, cp_signers=[EC1])
    o = av.strict_loads(B[-1][:-1])
    body, _, sigs = o["checkpoint"].partition("\n\n")
    forged = body + "\n\n" + "\u2014 %s %s\n" % (ORIGIN, b64(EC1.kid + EC1.sign(b"something else")))
    assert run_pinned(B[:-1] + [av.jcs({"checkpoint": forged}) + b"\n"], EC1)[:2] == ("FAIL", None)


# --- Key rotation: success ----------------------------------------------------

ROT = {4: EC1, 9: ED2}   # Ed25519 → ECDSA at seq 4, ECDSA → Ed25519 at seq 9


@pytest.mark.parametrize("pinned", [ED0, EC1, ED2], ids=["old-ed25519", "middle-ecdsa", "new-ed25519"])
@pytest.mark.parametrize("sign_entries", [True, False])
def test_rotation_ed25519_ecdsa_ed25519(pinned, sign_entries):
    B = make_rot_bundle(14, rotations=ROT, sign_entries=sign_entries)
    _, _, keys = make_rot_log(14, ED0, ROT)
    assert [k.vkey for k in keys] == [ED0.vkey] * 5 + [EC1.vkey] * 5 + [ED2.vkey] * 5
    assert run_pinned(B, pinned) == ("OK", 0, 14, bundle_root(B), [ED0.vkey, EC1.vkey, ED2.vkey])


def test_rotation_per_entry_signatures_follow_the_key_in_effect():
    B = make_rot_bundle(14, rotations=ROT)
    assert av.verify_bundle_lines(B, av.parse_verifier_key(ED0.vkey), require_entry_signatures=True).end == 14
    # the rotation entry's own sig is by the old key, the next entry's by the new key
    for seq, signer in [(4, EC1), (5, ED0), (9, ED2), (10, EC1), (3, EC1), (13, EC1)]:
        bad = make_rot_bundle(14, rotations=ROT, entry_signers={seq: signer})
        r = run_pinned(bad, ED0)
        assert r[:2] == ("FAIL", seq), (seq, r)
        assert "signature" in r[2]


def test_rotation_at_the_last_entry_handover_checkpoint():
    # the handover checkpoint (size R + 1) is signed by both keys
    B = make_rot_bundle(8, rotations={7: EC1})
    ok = ("OK", 0, 8, bundle_root(B), [ED0.vkey, EC1.vkey])
    assert run_pinned(B, ED0) == ok
    assert run_pinned(B, EC1) == ok
    assert len(av.parse_signed_note(av.strict_loads(B[-1][:-1])["checkpoint"]).sigs) == 2
    # verifiers need only the new key's signature
    B = make_rot_bundle(8, rotations={7: EC1}, cp_signers=[EC1])
    assert run_pinned(B, ED0) == ("OK", 0, 8, bundle_root(B), [ED0.vkey, EC1.vkey])
    # ... and the old key's alone is not enough
    r = run_pinned(make_rot_bundle(8, rotations={7: EC1}, cp_signers=[ED0]), ED0)
    assert r == ("FAIL", None, "checkpoint is not signed by the key in effect")


def test_rotation_back_to_an_earlier_key():
    B = make_rot_bundle(10, rotations={3: EC1, 6: ED0})
    for pinned in (ED0, EC1):
        assert run_pinned(B, pinned)[0::4] == ("OK", [ED0.vkey, EC1.vkey, ED0.vkey])


def test_rotation_bundles_ending_before_and_at_the_rotation():
    # ends before the rotation entry: only the old key is in the history
    B = make_rot_bundle(12, rotations={4: EC1}, end=4)
    assert run_pinned(B, ED0)[0] == "OK"
    assert run_pinned(B, EC1)[:2] == ("FAIL", None) and "key mismatch" in run_pinned(B, EC1)[2]
    # holds only the rotation entry (the export a live verifier fetches to follow a rotation)
    B = make_rot_bundle(12, rotations={4: EC1}, start=4, end=5)
    assert run_pinned(B, ED0)[0::4] == ("OK", [ED0.vkey, EC1.vkey])
    assert run_pinned(B, EC1)[0] == "OK"


def test_partial_bundle_starting_after_a_rotation():
    B = make_rot_bundle(12, rotations={4: EC1}, start=6)
    assert av.strict_loads(B[0][:-1])["verifier_key"] == EC1.vkey
    assert run_pinned(B, EC1)[0::4] == ("OK", [EC1.vkey])
    r = run_pinned(B, ED0)
    assert r[:2] == ("FAIL", None) and "key mismatch" in r[2]
    # right after the rotation entry (start = R + 1): the header names the new key too
    B = make_rot_bundle(12, rotations={4: EC1}, start=5)
    assert av.strict_loads(B[0][:-1])["verifier_key"] == EC1.vkey
    assert run_pinned(B, EC1)[0] == "OK"
    assert run_pinned(B, ED0)[:2] == ("FAIL", None)
    # starting at the rotation entry: the header names the old key, both keys are in the history
    B = make_rot_bundle(12, rotations={4: EC1}, start=4)
    assert run_pinned(B, ED0)[0::4] == ("OK", [ED0.vkey, EC1.vkey])
    assert run_pinned(B, EC1)[0::4] == ("OK", [ED0.vkey, EC1.vkey])


def test_partial_bundle_whose_header_names_the_wrong_key():
    # the header claims the old key is in effect after the rotation
    B = make_rot_bundle(12, rotations={4: EC1}, start=6, header_key=ED0.vkey)
    assert run_pinned(B, ED0)[:2] == ("FAIL", 6)      # entry 6 is signed by EC1
    B = make_rot_bundle(12, rotations={4: EC1}, start=6, header_key=ED0.vkey, sign_entries=False)
    assert run_pinned(B, ED0) == ("FAIL", None, "checkpoint is not signed by the pinned key")


# --- Key rotation: failures ---------------------------------------------------

def rot_fail(event=None, rotations=None, pinned=ED0, n=8, seq=4, **kw):
    rotations = {seq: EC1} if rotations is None else rotations
    events = {seq: event} if event is not None else None
    return run_pinned(make_rot_bundle(n, rotations=rotations, events=events, **kw), pinned)


@pytest.mark.parametrize("pinned", [ED0, EC1])
def test_rotation_bad_old_signature(pinned):
    r = rot_fail(rotation_event(4, ED0, EC1, old_signer=ED_OTHER), pinned=pinned)
    assert r[:2] == ("FAIL", 4) and "old_signature" in r[2]


@pytest.mark.parametrize("pinned", [ED0, EC1])
def test_rotation_bad_new_signature(pinned):
    r = rot_fail(rotation_event(4, ED0, EC1, new_signer=EC_OTHER), pinned=pinned)
    assert r[:2] == ("FAIL", 4) and "new_signature" in r[2]


def test_rotation_signatures_over_another_statement():
    # signed for another seq (a replayed rotation)
    r = rot_fail(rotation_event(4, ED0, EC1, stmt_seq=3))
    assert r[:2] == ("FAIL", 4) and "old_signature" in r[2]
    # signed for another origin
    r = rot_fail(rotation_event(4, ED0, EC1, origin="attest.test/other"))
    assert r[:2] == ("FAIL", 4)


def test_rotation_old_key_is_not_the_key_in_effect():
    # a rotation away from a key that is not in effect, properly signed by that key
    r = rot_fail(rotation_event(4, ED_OTHER, EC1))
    assert r[:2] == ("FAIL", 4) and "key mismatch" in r[2]
    # the second rotation names the original key instead of the one in effect (EC1)
    ev = rotation_event(9, ED0, ED2)
    r = run_pinned(make_rot_bundle(14, rotations=ROT, events={9: ev}), ED0)
    assert r[:2] == ("FAIL", 9) and "key mismatch" in r[2]


def test_rotation_new_key_named_after_another_origin():
    other = EcSigner(b"ecdsa key 1", name="attest.test/other")
    r = rot_fail(rotation_event(4, ED0, other))
    assert r[:2] == ("FAIL", 4) and "origin" in r[2]


@pytest.mark.parametrize("case", ["extra", "missing", "not-string", "new-equals-old", "bad-new-key",
                                  "sig-not-canonical", "no-attributes", "attributes-without-rotation",
                                  "rotation-not-object", "attributes-not-object"])
def test_rotation_malformed(case):
    if case == "extra":
        ev = rotation_event(4, ED0, EC1, extra={"reason": "scheduled"})
    elif case == "missing":
        ev = rotation_event(4, ED0, EC1, drop=["new_signature"])
    elif case == "not-string":
        ev = rotation_event(4, ED0, EC1)
        ev["attributes"]["key_rotation"]["old_signature"] = 5
    elif case == "new-equals-old":
        ev = rotation_event(4, ED0, ED0)
    elif case == "bad-new-key":
        ev = rotation_event(4, ED0, EC1, new_key=EC1.vkey.replace("+", "+0", 1)[:-1])
    elif case == "sig-not-canonical":
        ev = rotation_event(4, ED0, EC1)
        ev["attributes"]["key_rotation"]["old_signature"] = ev["attributes"]["key_rotation"]["old_signature"].rstrip("=")
    elif case == "no-attributes":
        # what a client event with the reserved action would look like
        ev = {"action": "ledger.key_rotation", "actor": {"id": "mallory"}}
    elif case == "attributes-without-rotation":
        ev = {"action": "ledger.key_rotation", "actor": {"id": "mallory"}, "attributes": {"k": "v"}}
    elif case == "rotation-not-object":
        ev = {"action": "ledger.key_rotation", "attributes": {"key_rotation": EC1.vkey}}
    else:
        ev = {"action": "ledger.key_rotation", "attributes": [1]}
    # the log's key does not change (the rotation is not valid), so build it without a rotation
    r = rot_fail(ev, rotations={})
    assert r[:2] == ("FAIL", 4), r
    # and a builder that did switch keys afterwards fails at the same entry
    assert rot_fail(ev)[:2] == ("FAIL", 4)


def test_other_actions_are_not_rotations():
    # only the exact action string makes a rotation entry
    for action in ["ledger.key_rotation ", "Ledger.key_rotation", "ledger.key_rotations", ["ledger.key_rotation"]]:
        ev = {"action": action, "attributes": {"x": 1}}
        assert rot_fail(ev, rotations={})[0] == "OK"


def test_checkpoint_after_rotation_signed_only_by_the_old_key():
    assert run_pinned(make_rot_bundle(8, rotations={4: EC1}), ED0)[0] == "OK"
    B = make_rot_bundle(8, rotations={4: EC1}, cp_signers=[ED0])
    assert run_pinned(B, ED0) == ("FAIL", None, "checkpoint is not signed by the key in effect")
    assert run_pinned(B, EC1) == ("FAIL", None, "checkpoint is not signed by the pinned key")


def test_checkpoint_with_a_bad_signature_by_an_earlier_key_of_the_history():
    # a handover checkpoint whose old-key line does not verify is refused (a known key's bad
    # signature), even though the new key's line is valid
    forged = "\u2014 %s %s\n" % (ORIGIN, b64(ED0.kid + ED0.sign(b"another body")))
    B = make_rot_bundle(8, rotations={7: EC1}, cp_signers=[EC1], cp_extra_lines=forged)
    r = run_pinned(B, EC1)
    assert r[:2] == ("FAIL", None) and "earlier key" in r[2]


def test_pinned_key_not_in_the_key_history():
    B = make_rot_bundle(14, rotations=ROT)
    for pinned in (ED_OTHER, EC_OTHER):
        r = run_pinned(B, pinned)
        assert r[:2] == ("FAIL", None) and r[2].startswith("key mismatch"), r
    # without rotations: the header names (and everything is signed by) another key of the log
    B = make_rot_bundle(6, key0=ED_OTHER)
    r = run_pinned(B, ED0)
    assert r[:2] == ("FAIL", None) and r[2].startswith("key mismatch")
    # step 6 comes last: an earlier failure is reported first
    assert run_pinned(B[:-1], ED0) == ("FAIL", None, "bundle ends before the checkpoint line")


def test_header_verifier_key_must_be_valid():
    B = make_rot_bundle(6)
    for bad in [ED0.vkey[:-4] + "AAA=", "garbage", EC1.vkey.replace(ORIGIN, "attest.test/other", 1)]:
        r = run_pinned(edit(B, 0, ED0.vkey.encode(), bad.encode()), ED0)
        assert r[:2] == ("FAIL", None), bad
    h = av.strict_loads(B[0][:-1])
    h["verifier_key"] = 7
    assert run_pinned([av.jcs(h) + b"\n"] + B[1:], ED0)[:2] == ("FAIL", None)


def test_cli_rotation_and_ecdsa_key(tmp_path):
    p = tmp_path / "rot.ndjson"
    B = make_rot_bundle(14, rotations=ROT)
    p.write_bytes(b"".join(B))
    root = bundle_root(B)
    r = cli(str(p), "--key", EC1.vkey)
    assert (r.returncode, r.stdout) == (0, f"OK {ORIGIN} 0 14 {root}\n")
    r = cli(str(p), "--key", ED2.vkey, "--json")
    assert r.returncode == 0
    assert json.loads(r.stdout) == {"ok": True, "origin": ORIGIN, "start": 0, "end": 14, "root": root,
                                    "keys": [ED0.vkey, EC1.vkey, ED2.vkey]}
    r = cli(str(p), "--key", EC_OTHER.vkey)
    assert r.returncode == 1 and r.stdout.startswith("FAIL - key mismatch")
    r = cli(str(p), "--key", EcSigner(b"p384", curve=ec.SECP384R1()).vkey)
    assert r.returncode == 2 and "P-256" in r.stderr
