#!/usr/bin/env python3
"""Write the seed inputs of the msgpack fuzz target (fuzz_msgpack).

The seeds are encoded here, independently of corpus/cable_msgpack.c, from
the schema in corpus/cable_msgpack.md, with a minimal MessagePack writer (no
packages needed). Files named ok-* are valid cable maps and bad-* are not;
tests/test_cable_msgpack.c decodes them all and checks which is which, so
this script also keeps the documented schema honest. The output is
deterministic; the files are committed, so run this only after a schema
change:

    python3 tests/fuzz/make_seeds.py
"""
import os
import struct


class Raw(bytes):
    """Bytes written as a msgpack str (the text of a cable need not be UTF-8)."""


def pack(o):
    if o is None:
        return b"\xc0"
    if o is True:
        return b"\xc3"
    if o is False:
        return b"\xc2"
    if isinstance(o, int):
        if 0 <= o < 0x80:
            return bytes([o])
        if -32 <= o < 0:
            return struct.pack(">b", o)
        if 0 <= o < 1 << 8:
            return b"\xcc" + struct.pack(">B", o)
        if 0 <= o < 1 << 16:
            return b"\xcd" + struct.pack(">H", o)
        if 0 <= o < 1 << 32:
            return b"\xce" + struct.pack(">I", o)
        if o >= 0:
            return b"\xcf" + struct.pack(">Q", o)
        if o >= -(1 << 7):
            return b"\xd0" + struct.pack(">b", o)
        if o >= -(1 << 15):
            return b"\xd1" + struct.pack(">h", o)
        if o >= -(1 << 31):
            return b"\xd2" + struct.pack(">i", o)
        return b"\xd3" + struct.pack(">q", o)
    if isinstance(o, float):
        return b"\xcb" + struct.pack(">d", o)
    if isinstance(o, str):
        o = Raw(o.encode("utf-8"))
    if isinstance(o, Raw):
        n = len(o)
        if n < 32:
            head = bytes([0xA0 | n])
        elif n < 1 << 8:
            head = b"\xd9" + struct.pack(">B", n)
        elif n < 1 << 16:
            head = b"\xda" + struct.pack(">H", n)
        else:
            head = b"\xdb" + struct.pack(">I", n)
        return head + bytes(o)
    if isinstance(o, list):
        n = len(o)
        head = bytes([0x90 | n]) if n < 16 else b"\xdc" + struct.pack(">H", n)
        return head + b"".join(pack(x) for x in o)
    if isinstance(o, dict):
        n = len(o)
        head = bytes([0x80 | n]) if n < 16 else b"\xde" + struct.pack(">H", n)
        return head + b"".join(pack(k) + pack(v) for k, v in o.items())
    raise TypeError(type(o))


def addressee(ri, pla, pw=None, ser=None, lo=None, hi=None, p=0, niact=False, zen=False):
    return {"ri": ri, "pla": pla, "pw": pw, "ser": ser, "lo": lo, "hi": hi, "p": p,
            "niact": niact, "zen": zen}


TEXT = ("UNCLAS SECTION 01 OF 02 AMEMBASSY EXAMPLETOWN 000123\n\nSIPDIS\n\n"
        "E.O. 12958: N/A\nTAGS: AMGT ASEC\nSUBJECT: TEST CABLE FOR THE FUZZ SEEDS\n\n"
        "1. THIS IS A SYNTHETIC CABLE WRITTEN FOR THE FUZZ SEEDS.\nDOE\n")


def full_cable():
    return {
        "v": 1,
        "tid": "VZCZCXRO0123", "chan": "XRO", "csn": 123, "csnw": 4,
        "p2": 2, "ps2": "PP", "ris": ["RUEHC", "RUEHXX"],
        "ori": "RUEHZZ", "ssn": 123, "sec": 1, "secs": 2, "desec": True, "filed": "1501200",
        "secu": "ZNR UUUUU", "sig": ["ZZH", "ZDK"], "ctl": [], "sig4": 1, "ctl4": 0,
        "ccy": False,
        "dp": 2, "dpi": 1, "dtg": [2008, 5, 30, 12, 0], "dsig": None,
        "fm": "AMEMBASSY EXAMPLETOWN",
        "to": [addressee("RUEHC", "SECSTATE WASHDC", "PRIORITY", "0456", 456, 456, 2)],
        "info": [addressee("RUEHXX", "AMEMBASSY OTHERTOWN", "NIACT IMMEDIATE", "0001-0002",
                           1, 2, 3, niact=True),
                 addressee(None, "AMCONSUL NOWHERE")],
        "xmt": [addressee(None, "AMEMBASSY ELSEWHERE", zen=True)],
        "cls": 1, "clsl": "UNCLAS SECTION 01 OF 02 AMEMBASSY EXAMPLETOWN 000123",
        "post": "AMEMBASSY EXAMPLETOWN", "cno": 123, "cap": ["SIPDIS"], "eo": "N/A",
        "tags": ["AMGT", "ASEC"], "subj": "TEST CABLE FOR THE FUZZ SEEDS", "ref": None,
        "text": TEXT, "sgn": "DOE", "bb": len(TEXT.encode()),
        "bt": True, "trl": True, "tssn": 123,
    }


# Version 2: each field's key is its number, its place in the schema's
# table; fields at their default are left out; fields within the text may be
# [offset, length] of it, after "text".
KEYS = ["tid", "chan", "csn", "csnw", "p2", "ps2", "ris", "ori", "ssn", "sec", "secs", "desec",
        "filed", "secu", "sig", "ctl", "sig4", "ctl4", "ccy", "dp", "dpi", "dtg", "dsig", "fm",
        "to", "info", "xmt", "cls", "clsl", "post", "cno", "cap", "eo", "tags", "subj", "ref",
        "text", "sgn", "bb", "bt", "trl", "tssn"]
ADDR_KEYS = ["ri", "pla", "pw", "ser", "lo", "hi", "p", "niact", "zen"]
DEFAULTS = {"csn": None, "ssn": None, "cno": None, "tssn": None, "sec": 1, "secs": 1}


def is_default(k, v):
    if k in DEFAULTS:
        return v == DEFAULTS[k]
    return v in (None, False, 0, [])


def ref(text, s):
    i = text.index(s)
    return [len(text[:i].encode()), len(s.encode())]


def v2(c):
    text = c["text"]
    out = {"v": 2, KEYS.index("text") + 1: text}
    for k in KEYS:
        v = c[k]
        if k == "text" or is_default(k, v):
            continue
        if k in ("clsl", "post", "eo", "subj", "sgn") and v is not None and v in text:
            v = ref(text, v)
        elif k in ("cap", "tags"):
            v = [ref(text, x) if x in text else x for x in v]
        elif k in ("to", "info", "xmt"):
            v = [{ADDR_KEYS.index(ak) + 1: av for ak, av in a.items()
                  if not (av is None or av is False or (ak == "p" and av == 0))} for a in v]
        out[KEYS.index(k) + 1] = v
    return out


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "fuzz_msgpack")
    os.makedirs(out, exist_ok=True)
    full = full_cable()
    seeds = {}
    seeds["ok-full.mp"] = pack(full)
    seeds["ok-minimal.mp"] = pack({"v": 1})
    seeds["ok-absent-empty.mp"] = pack({
        "v": 1, "tid": "", "fm": None, "sig": ["", None, "ZDK"], "csn": 0,
        "to": [{"ri": "", "pla": None}], "info": [{}], "dtg": None})
    reordered = dict(reversed(list(full.items())))
    reordered["zz-future"] = [1, {"deep": 2.5}, None]
    reordered["to"] = [dict(full["to"][0], color="blue")]
    seeds["ok-reordered-unknown-keys.mp"] = pack(reordered)
    seeds["ok-binary-text.mp"] = pack({"v": 1, "text": Raw(b"\x00\xff\xfe BINARY \r\n"),
                                       "bb": 13, "csn": -(1 << 31), "ssn": (1 << 31) - 1})
    seeds["ok-v2-full.mp"] = pack(v2(full))
    seeds["ok-v2-minimal.mp"] = pack({"v": 2})
    seeds["bad-version.mp"] = pack(dict(full, v=3))
    text_key, subj_key = KEYS.index("text") + 1, KEYS.index("subj") + 1
    seeds["bad-ref-outside.mp"] = pack({"v": 2, text_key: "ABC", subj_key: [2, 2]})
    seeds["bad-ref-before-text.mp"] = pack({"v": 2, subj_key: [0, 1], text_key: "ABC"})
    seeds["bad-no-version.mp"] = pack({k: v for k, v in full.items() if k != "v"})
    seeds["bad-truncated.mp"] = pack(full)[:-7]
    seeds["bad-type-to.mp"] = pack(dict(full, to="SECSTATE WASHDC"))
    seeds["bad-range-dtg.mp"] = pack(dict(full, dtg=[2007, 2, 29, 12, 0]))
    seeds["bad-range-prec.mp"] = pack(dict(full, p2=6))
    seeds["bad-huge-array.mp"] = b"\x82\xa1v\x01\xa3ris\xdd\xff\xff\xff\xff"
    seeds["bad-trailing.mp"] = pack({"v": 1}) + b"\xc0"
    seeds["bad-fl4-count.mp"] = pack(dict(full, sig4=3))
    seeds["bad-duplicate.mp"] = (b"\x83" + pack("v") + pack(1) + pack("tid") + pack("A")
                                 + pack("tid") + pack("B"))
    for name, data in sorted(seeds.items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
