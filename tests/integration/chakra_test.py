#!/usr/bin/env python3
"""`llmsim export-chakra` and `import-chakra` as users run them. The trace files are read
and written here with a few lines of protobuf wire encoding written from Chakra's published
et_def.proto field numbers (no generated code), so the test checks wire compatibility
independently of llmsim's own schema file."""
import json
import os
import struct
import subprocess
import tempfile
import unittest

LLMSIM = os.environ["LLMSIM"]
SOURCE = os.environ["LLMSIM_SOURCE_DIR"]
RING = os.path.join(SOURCE, "tests", "fixtures", "hw", "test-ring.yaml")

# Chakra et_def.proto: Node fields, AttributeProto value cases, enum values.
NODE_ID, NODE_NAME, NODE_TYPE, NODE_DATA_DEPS, NODE_DURATION, NODE_ATTR = 1, 2, 3, 5, 7, 10
ATTR_NAME, INT32_VAL, INT64_VAL, UINT64_VAL, BOOL_VAL, STRING_VAL = 1, 7, 9, 13, 27, 29
COMP_NODE, COMM_SEND_NODE, COMM_RECV_NODE, COMM_COLL_NODE = 4, 5, 6, 7
ALL_REDUCE = 0


def llmsim(*args):
    return subprocess.run([LLMSIM, *args], capture_output=True, text=True)


# --- protobuf wire format, the little of it a trace needs ---

def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        low = n & 0x7F
        n >>= 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field_varint(number, value):
    return varint(number << 3) + varint(value)


def field_bytes(number, data):
    return varint(number << 3 | 2) + varint(len(data)) + data


def attr(name, case, value):
    encoded = field_bytes(case, value.encode()) if case == STRING_VAL else field_varint(case, value)
    return field_bytes(ATTR_NAME, name.encode()) + encoded


def node(node_id, name, node_type, deps=(), attrs=(), duration=0):
    msg = field_varint(NODE_ID, node_id) + field_bytes(NODE_NAME, name.encode()) + field_varint(NODE_TYPE, node_type)
    if deps:
        msg += field_bytes(NODE_DATA_DEPS, b"".join(varint(d) for d in deps))  # packed, as proto3 writes it
    if duration:
        msg += field_varint(NODE_DURATION, duration)
    return msg + b"".join(field_bytes(NODE_ATTR, a) for a in attrs)


def write_trace(path, nodes):
    with open(path, "wb") as f:
        for msg in [field_bytes(1, b"0.0.4")] + nodes:  # GlobalMetadata.version, then the nodes
            f.write(varint(len(msg)) + msg)


def read_varint(data, i):
    value, shift = 0, 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, i


def fields(msg):
    """{field number: [values]}: ints for varints, bytes for length-delimited fields."""
    out, i = {}, 0
    while i < len(msg):
        key, i = read_varint(msg, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = read_varint(msg, i)
        elif wire == 1:
            value, i = struct.unpack("<d", msg[i:i + 8])[0], i + 8
        elif wire == 2:
            size, i = read_varint(msg, i)
            value, i = msg[i:i + size], i + size
        else:
            raise ValueError(f"wire type {wire}")
        out.setdefault(number, []).append(value)
    return out


def read_trace(path):
    with open(path, "rb") as f:
        data, i, messages = f.read(), 0, []
    while i < len(data):
        size, i = read_varint(data, i)
        messages.append(data[i:i + size])
        i += size
    return fields(messages[0]), [fields(m) for m in messages[1:]]


def attributes(n):
    """name -> (value case, raw value) of a decoded node."""
    out = {}
    for a in n.get(NODE_ATTR, []):
        f = fields(a)
        name = f.pop(ATTR_NAME)[0].decode()
        (case, values), = [(c, v) for c, v in f.items() if c != 2]
        out[name] = (case, values[0])
    return out


class ExportImport(unittest.TestCase):
    def export(self, tmp, *extra):
        out = llmsim("export-chakra", "--hardware", "dgx-h100", "--model", "llama-3-8b", "--dtype", "bf16",
                     "--tp", "2", "--gen", "1", "--out", os.path.join(tmp, "step"), *extra)
        self.assertEqual(out.returncode, 0, out.stderr)
        return os.path.join(tmp, "step")

    def imported(self, prefix, *extra):
        out = llmsim("import-chakra", prefix, "--ranks", "2", "--hardware", "dgx-h100", "--json", *extra)
        self.assertEqual(out.returncode, 0, out.stderr)
        return json.loads(out.stdout)

    def predicted(self, prompt):
        out = llmsim("predict", "--hardware", "dgx-h100", "--model", "llama-3-8b", "--dtype", "bf16", "--tp", "2",
                     "--prompt", str(prompt), "--gen", "1", "--json")
        self.assertEqual(out.returncode, 0, out.stderr)
        return json.loads(out.stdout)["tpot_s"]

    def test_round_trip_gives_predicts_decode_step_time(self):
        with tempfile.TemporaryDirectory() as tmp:
            # Without a prompt the decode step is the first thing simulated: equal to the last bit.
            prefix = self.export(tmp, "--prompt", "0")
            self.assertEqual(self.imported(prefix)["total_s"], self.predicted(0))
            prefix = self.export(tmp, "--prompt", "512")
            j = self.imported(prefix)
            self.assertAlmostEqual(j["total_s"], self.predicted(512), delta=1e-12 * j["total_s"])
            self.assertEqual([r["device"] for r in j["rank_busy"]], ["gpu0", "gpu1"])
            self.assertIn("comm", j["seconds_by_group"])
            # Replayed from the exported durations (roofline alone, rounded to microseconds): close.
            replay = self.imported(prefix, "--replay")
            self.assertEqual(replay["mode"], "replay")
            self.assertLess(abs(replay["total_s"] / j["total_s"] - 1), 0.05)
            text = llmsim("import-chakra", prefix, "--ranks", "2", "--hardware", "dgx-h100")
            self.assertIn("busy per rank", text.stdout)
            self.assertIn("rank 1", text.stdout)

    def test_pipeline_sends_round_trip_as_send_recv_pairs(self):
        with tempfile.TemporaryDirectory() as tmp:
            prefix = os.path.join(tmp, "pp")
            request = ["--hardware", "dgx-h100", "--model", "llama-3-8b", "--dtype", "bf16", "--tp", "2", "--pp", "2",
                       "--batch", "4", "--prompt", "128", "--gen", "1"]
            out = llmsim("export-chakra", *request, "--phase", "prefill", "--out", prefix)
            self.assertEqual(out.returncode, 0, out.stderr)
            _, sender = read_trace(f"{prefix}.0.et")
            _, receiver = read_trace(f"{prefix}.2.et")
            self.assertEqual(sum(n[NODE_TYPE][0] == COMM_SEND_NODE for n in sender), 2)  # one per micro-batch
            self.assertEqual(sum(n[NODE_TYPE][0] == COMM_RECV_NODE for n in receiver), 2)
            out = llmsim("import-chakra", prefix, "--ranks", "4", "--hardware", "dgx-h100", "--json")
            self.assertEqual(out.returncode, 0, out.stderr)
            predicted = json.loads(llmsim("predict", *request, "--json").stdout)["prefill_s"]
            self.assertEqual(json.loads(out.stdout)["total_s"], predicted)

    def test_exported_files_are_chakra_on_the_wire(self):
        with tempfile.TemporaryDirectory() as tmp:
            prefix = self.export(tmp, "--prompt", "64")
            for rank in [0, 1]:
                meta, nodes = read_trace(f"{prefix}.{rank}.et")
                self.assertEqual(meta[1], [b"0.0.4"])
                ids = set()
                for n in nodes:
                    ids.add(n.get(NODE_ID, [0])[0])  # proto3 leaves out a zero id
                    a = attributes(n)
                    self.assertEqual(a["is_cpu_op"], (BOOL_VAL, 0))
                    if n[NODE_TYPE][0] == COMP_NODE:
                        self.assertEqual(a["num_ops"][0], INT64_VAL)
                        self.assertEqual(a["tensor_size"][0], UINT64_VAL)
                    if n[NODE_TYPE][0] == COMM_COLL_NODE:
                        self.assertEqual(a["comm_type"], (INT64_VAL, ALL_REDUCE) if "allreduce" in
                                         n[NODE_NAME][0].decode() else (INT64_VAL, 2))
                        self.assertEqual(a["comm_size"][0], INT64_VAL)
                    for packed in n.get(NODE_DATA_DEPS, []):
                        i = 0
                        while i < len(packed):
                            dep, i = read_varint(packed, i)
                            self.assertIn(dep, ids)  # nodes come after what they depend on
                types = {n[NODE_TYPE][0] for n in nodes}
                self.assertEqual(types, {COMP_NODE, COMM_COLL_NODE})

    def test_hand_encoded_two_rank_trace_takes_the_hand_worked_time(self):
        # Per rank: 7.7e9 ops, an all-reduce of 1e8 bytes, 3.85e9 ops on test-ring under llama.cpp:
        # (5 us + 7.7e9 / (100e12 x 0.77)) + (5 us + 2 x 2 us + 1e8 / 50e9) + (5 us + 50 us) = 2.169 ms.
        with tempfile.TemporaryDirectory() as tmp:
            prefix = os.path.join(tmp, "hand")
            gpu = attr("is_cpu_op", BOOL_VAL, 0)
            for rank in [0, 1]:
                write_trace(f"{prefix}.{rank}.et", [
                    node(1, "A", COMP_NODE, attrs=[gpu, attr("num_ops", INT64_VAL, 7_700_000_000),
                                                   attr("tensor_size", UINT64_VAL, 0)]),
                    node(2, "allreduce", COMM_COLL_NODE, deps=[1],
                         attrs=[gpu, attr("comm_type", INT64_VAL, ALL_REDUCE), attr("comm_size", INT64_VAL, 10**8),
                                attr("pg_name", STRING_VAL, "tp")]),
                    node(3, "C", COMP_NODE, deps=[2], attrs=[gpu, attr("num_ops", INT64_VAL, 3_850_000_000),
                                                             attr("some.other.tool", STRING_VAL, "kept")]),
                ])
            out = llmsim("import-chakra", prefix, "--ranks", "2", "--hardware", RING, "--json")
            self.assertEqual(out.returncode, 0, out.stderr)
            j = json.loads(out.stdout)
            self.assertAlmostEqual(j["total_s"], 2.169e-3, delta=1e-12)
            self.assertEqual(j["ops"], 5)  # two A, one all-reduce, two C
            self.assertTrue(any("attributes llmsim does not interpret" in a for a in j["assumptions"]))


class BadTraces(unittest.TestCase):
    def expect(self, args, *fragments):
        out = llmsim(*args)
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        for fragment in fragments:
            self.assertIn(fragment, out.stderr)

    def test_errors_name_the_file_and_node(self):
        with tempfile.TemporaryDirectory() as tmp:
            prefix = os.path.join(tmp, "t")
            write_trace(f"{prefix}.0.et", [node(1, "a", COMP_NODE), node(2, "b", COMP_NODE, deps=[7])])
            args = ["import-chakra", prefix, "--hardware", RING]
            self.expect(args + ["--ranks", "1"], "t.0.et: node 2 'b' depends on node 7, which is not in this file")
            self.expect(args + ["--ranks", "2"], "t.1.et: missing")
            write_trace(f"{prefix}.0.et", [node(1, "a", COMP_NODE, deps=[2]), node(2, "b", COMP_NODE, deps=[1])])
            self.expect(args + ["--ranks", "1"], "dependency cycle", "node 1 'a' waits for t.0.et node 2 'b'")
            write_trace(f"{prefix}.0.et", [node(1, "a", COMP_NODE), node(2, "b", COMP_NODE)])
            with open(f"{prefix}.0.et", "r+b") as f:
                f.truncate(os.path.getsize(f"{prefix}.0.et") - 2)
            self.expect(args + ["--ranks", "1"], "t.0.et: truncated", "after node #0 (id 1, 'a')")
            write_trace(f"{prefix}.0.et", [node(1, "a", COMP_NODE)])
            self.expect(args + ["--ranks", "1", "--devices", "gpu0,gpu1"], "1 rank(s) need one device each, got 2")
            self.expect(["import-chakra", prefix, "--hardware", "rtx-4090", "--ranks", "1", "--software", "tgi"],
                        "unknown software profile")

    def test_export_refuses_steps_that_do_not_exist(self):
        with tempfile.TemporaryDirectory() as tmp:
            base = ["export-chakra", "--hardware", "dgx-h100", "--model", "llama-3-8b", "--out", os.path.join(tmp, "x")]
            self.expect(base + ["--phase", "training"], "--phase: must be prefill or decode")
            self.expect(base + ["--gen", "4", "--step", "4"], "decode step 4 does not exist with --gen 4")
            self.expect(base + ["--phase", "prefill", "--prompt", "0"], "prefill chunk 0 does not exist")
            self.expect(base + ["--tp", "3"], "cannot be split over 3 ranks")
            # Missing folders are created, as for every result; a file in the way of one is refused.
            blocker = os.path.join(tmp, "a-file")
            with open(blocker, "w") as f:
                f.write("not a folder\n")
            self.expect(["export-chakra", "--hardware", "dgx-h100", "--model", "llama-3-8b", "--out",
                         os.path.join(blocker, "x")], "cannot be written: Not a directory")


if __name__ == "__main__":
    unittest.main(verbosity=2)
