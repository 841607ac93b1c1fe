#!/usr/bin/env python3
"""Every file of tests/bad_inputs/ is refused with exit code 1 and a message that names the file
and says what is wrong (the fragments listed in tests/bad_inputs/expected.yaml); none crashes.
Every file of the corpus must be listed, so a new bad file cannot go unchecked."""
import os
import subprocess
import tempfile
import unittest

import yaml

SOURCE = os.environ["LLMSIM_SOURCE_DIR"]
BINARIES = {"llmsim": os.environ["LLMSIM"], "llmsim-bench": os.environ.get("LLMSIM_BENCH", "")}
CORPUS = os.path.join(SOURCE, "tests", "bad_inputs")
MANIFEST = yaml.safe_load(open(os.path.join(CORPUS, "expected.yaml")))


def command_for(relative, tmp):
    kind = relative.split("/")[0]
    if kind == "measurements":
        kind += "/" + relative.rsplit(".", 1)[1]
    path = os.path.join(CORPUS, relative)
    out = os.path.join(tmp, "out")
    serve = os.path.join(tmp, "serve.yaml")
    if kind == "traces":
        with open(serve, "w") as f:
            f.write("name: trace\nhardware: h100-sxm5-80gb\nmodel: llama-3-8b\n"
                    f"workload: {{arrival: trace, trace_file: '{path}'}}\n")
    values = {"file": path, "prefix": path[:-len(".0.et")], "src": SOURCE, "out": out, "serve": serve}
    args = [a.format(**values) for a in MANIFEST["commands"][kind]]
    return [BINARIES[args[0]]] + args[1:]


class BadInputs(unittest.TestCase):
    def test_corpus_is_large_and_fully_listed(self):
        files = set()
        for folder, _, names in os.walk(CORPUS):
            for name in names:
                relative = os.path.relpath(os.path.join(folder, name), CORPUS)
                if "/" in relative:
                    files.add(relative)
        listed = set(MANIFEST["expected"]) | set(MANIFEST["accepted"])
        self.assertEqual(files, listed, "every file of tests/bad_inputs/ has an entry in expected.yaml")
        self.assertGreaterEqual(len(MANIFEST["expected"]), 40)
        self.assertGreaterEqual(len({f.split("/")[0] for f in MANIFEST["expected"]}), 8)

    def test_each_file_is_refused_with_a_message_naming_file_and_problem(self):
        for relative, fragments in sorted(MANIFEST["expected"].items()):
            with self.subTest(file=relative), tempfile.TemporaryDirectory() as tmp:
                cmd = command_for(relative, tmp)
                if not cmd[0]:
                    self.skipTest("LLMSIM_BENCH is not set")
                out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
                self.assertEqual(out.returncode, 1, f"{relative}: exit {out.returncode}\n{out.stderr}")
                message = out.stderr
                self.assertIn(os.path.basename(relative), message, f"the message names the file: {message}")
                for fragment in fragments:
                    self.assertIn(fragment, message)
                self.assertNotIn("internal error", message)
                self.assertFalse(os.path.exists(os.path.join(tmp, "out", "result.json")))

    def test_odd_but_valid_files_are_accepted(self):
        for relative in MANIFEST["accepted"]:
            with self.subTest(file=relative), tempfile.TemporaryDirectory() as tmp:
                cmd = command_for(relative, tmp)
                if not cmd[0]:
                    self.skipTest("LLMSIM_BENCH is not set")
                os.makedirs(os.path.join(tmp, "out"))
                out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
                self.assertEqual(out.returncode, 0, f"{relative}: {out.stderr}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
