#!/usr/bin/env python3
"""Writes the binary files of this corpus (Chakra traces, measurement records), so that what
each holds is readable here: python3 tests/bad_inputs/make_binary_inputs.py"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def varint(n):
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def key(number, wire):
    return varint(number << 3 | wire)


def length_delimited(number, data):
    return key(number, 2) + varint(len(data)) + data


def framed(messages):
    return b"".join(varint(len(m)) + m for m in messages)


# Chakra et_def.proto: Node.id = 1, name = 2, type = 3, data_deps = 5 (packed); COMP_NODE = 4.
def node(node_id, name, deps=()):
    msg = key(1, 0) + varint(node_id) + length_delimited(2, name.encode()) + key(3, 0) + varint(4)
    if deps:
        msg += length_delimited(5, b"".join(varint(d) for d in deps))
    return msg


METADATA = length_delimited(1, b"0.0.4")  # GlobalMetadata.version

CHAKRA = {
    "empty.0.et": b"",
    "garbage.0.et": b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01not a trace",
    "truncated.0.et": framed([METADATA, node(1, "a"), node(2, "b")])[:-3],
    "dangling-dependency.0.et": framed([METADATA, node(1, "a"), node(2, "b", deps=[9])]),
    "cycle.0.et": framed([METADATA, node(1, "a", deps=[2]), node(2, "b", deps=[1])]),
    "duplicate-id.0.et": framed([METADATA, node(1, "a"), node(1, "b")]),
}

# Measurement: schema_version = 1 (uint32).
MEASUREMENTS = {
    "empty.pb": b"",
    "garbage.pb": b"\x05\xff\xff\xff\xff\xff",
    "truncated.pb": varint(100) + b"\x08\x01",
    "no-schema-version.pb": framed([b""]),
    "newer-schema.pb": framed([key(1, 0) + varint(999)]),
}

for folder, files in [("chakra", CHAKRA), ("measurements", MEASUREMENTS)]:
    os.makedirs(os.path.join(HERE, folder), exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(HERE, folder, name), "wb") as f:
            f.write(data)
