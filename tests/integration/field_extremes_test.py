#!/usr/bin/env python3
"""Every numeric field at its extremes (docs/reliability.md, "Numbers at their extremes").

Each numeric field of each input format of docs/file-formats.md (system YAML, memory kinds,
software profile, storage formats, config.json, run / serve / train / plan scenarios, request
trace CSV, measurement CSV) and each numeric flag of every subcommand is set, one at a time, to 0, -1, 1.5, NaN,
inf, 1e308 and 2^63, and, when a refusal states a maximum, to that maximum. The fields are
found by walking the shipped file, so a field added to a format is covered without editing
this test. Every value must either
  - be refused: exit 1 (bad input) or 2 (bad command line), with the field's (or flag's) name in the message; or
  - give a finite, sane result: exit 0 or 3 (does not fit), every number of the JSON result
    finite, and no number that the unmodified run gave as >= 0 negative.
Anything else (a crash, "internal error", a hang past 60 s, NaN or a negative time) fails.
JSON (config.json) cannot hold NaN or inf, so those two are tried in YAML and CSV formats only.
"""
import concurrent.futures
import copy
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import yaml

LLMSIM = os.environ["LLMSIM"]
BENCH = os.environ.get("LLMSIM_BENCH", "")  # llmsim-bench, for the measurement CSV format
SOURCE = os.environ["LLMSIM_SOURCE_DIR"]
TIMEOUT_S = 60
EXTREMES = [0, -1, 1.5, math.nan, math.inf, 1e308, 2**63]
JSON_EXTREMES = [0, -1, 1.5, 1e308, 2**63]
# A refusal that states the accepted range: "must be in [1, 100000]", "at most 1e7", "<= 64".
MAXIMUM = re.compile(r"(?:in \[[^,\]]+, *|at most |<= ?|up to )([0-9.eE+]+)")
# Fields whose documented maximum bounds the work itself (minutes at the maximum, tested in
# reliability_test.py's bounded-resources cases instead): only the other extremes are tried.
WORK_BOUNDS = {"requests", "gen", "prompt", "batch", "seq_len", "output_tokens", "prompt_tokens", "num-prompts",
               "random-input-len", "random-output-len", "max-num-seqs", "max-num-batched-tokens", "max_batch",
               "max_batched_tokens", "ubatch", "images", "image-tiles", "microbatches", "steps",
               "max-concurrency", "replicas", "tp", "pp", "ep", "n-cpu-moe", "expert-cache-slots", "threads",
               "accumulation", "num_hidden_layers", "n_layer", "max_position_embeddings", "n_positions",
               "vocab_size", "trace_decode_steps", "memory_gib", "capacity_gib"}


def leaves(node, path=()):
    """Paths of the numeric scalars of a loaded YAML/JSON tree (booleans are not numbers)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from leaves(value, path + (index,))
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        yield path


def with_value(tree, path, value):
    out = copy.deepcopy(tree)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


def numbers(node, path="", out=None):
    out = {} if out is None else out
    if isinstance(node, dict):
        for key, value in node.items():
            numbers(value, f"{path}.{key}", out)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            numbers(value, f"{path}[{index}]", out)
    elif node is None or (isinstance(node, (int, float)) and not isinstance(node, bool)):
        out[path] = node
    return out


def insane(result, baseline):
    """Why a result is not sane compared with the unmodified run's, or None."""
    for path, value in numbers(result).items():
        before = baseline.get(path)
        if value is None:
            if isinstance(before, (int, float)):
                return f"{path} is null (NaN or inf in the program), was {before}"
        elif not math.isfinite(value):
            return f"{path} = {value}"
        elif value < 0 and isinstance(before, (int, float)) and before >= 0:
            return f"{path} = {value} is negative (was {before})"
    return None


def yaml_text(tree):
    return yaml.safe_dump(tree, sort_keys=False, width=1000)


class Format:
    """One input format: a base tree, how a mutated tree becomes a run, what to read back."""

    def __init__(self, name, tree, write, command, result, extremes=EXTREMES, skip=()):
        self.name, self.tree, self.write, self.command, self.result = name, tree, write, command, result
        self.extremes, self.skip = extremes, skip


class FieldExtremes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="llmsim-extremes-")
        cls.counter = 0

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def workdir(self):
        FieldExtremes.counter += 1
        path = os.path.join(self.tmp, f"case{FieldExtremes.counter}")
        os.makedirs(path)
        return path

    def run_llmsim(self, args, env=None):
        """One llmsim command, or several in turn (a list of argument lists, each starting with
        its program): the first that fails is the outcome, else the last."""
        commands = args if args and isinstance(args[0], list) else [[LLMSIM] + args]
        for command in commands:
            try:
                p = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S,
                                   env={**os.environ, **(env or {})})
            except subprocess.TimeoutExpired:
                return None, "", f"still running after {TIMEOUT_S} s"
            if p.returncode not in (0, 3):
                break
        return p.returncode, p.stdout, p.stderr

    # --- one trial -------------------------------------------------------------------------
    def trial(self, fmt, path, value):
        """Returns None when the value is handled, else a description of the failure."""
        label = fmt.name + ":" + ".".join(str(p) for p in path) + f" = {value}"
        key = str([p for p in path if isinstance(p, str)][-1])
        work = self.workdir()
        args, env = fmt.write(work, with_value(fmt.tree, path, value))
        rc, out, err = self.run_llmsim(args, env)
        if rc in (1, 2):  # bad input, bad command line
            names = {key, key.replace("_", "-"), key.replace("-", "_")}
            if any(n in err for n in names):
                return None, err
            return f"{label}: refused without naming '{key}': {err.strip()[:300]}", err
        if rc in (0, 3):
            result = fmt.result(work, out)
            if result is None:
                return f"{label}: exit {rc} but no result to check", err
            why = insane(result, fmt.baseline)
            return (f"{label}: {why}" if why else None), err
        return f"{label}: exit {rc}: {err.strip()[-300:]}", err

    def check_format(self, fmt):
        work = self.workdir()
        args, env = fmt.write(work, fmt.tree)
        rc, out, err = self.run_llmsim(args, env)
        self.assertIn(rc, (0, 3), f"{fmt.name}: the unmodified input fails: {err}")
        fmt.baseline = numbers(fmt.result(work, out))
        trials = [(path, value) for path in leaves(fmt.tree) if not set(map(str, path)) & set(fmt.skip)
                  for value in fmt.extremes]
        failures = []
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            done = list(pool.map(lambda t: (t, self.trial(fmt, *t)), trials))
            # A refusal that names a maximum: the maximum itself must be handled too.
            maxima = []
            for (path, value), (failure, err) in done:
                if failure:
                    failures.append(failure)
                key = str([p for p in path if isinstance(p, str)][-1])
                found = MAXIMUM.search(err) if value == 1e308 and key not in WORK_BOUNDS else None
                if found:
                    try:
                        maxima.append((path, float(found.group(1))))
                    except ValueError:
                        pass
            for (path, value), (failure, _) in pool.map(lambda t: (t, self.trial(fmt, *t)), maxima):
                if failure:
                    failures.append(failure + " (the stated maximum)")
        print(f"{fmt.name}: {len(list(leaves(fmt.tree)))} numeric fields, {len(trials) + len(maxima)} values tried, "
              f"{len(failures)} mishandled", file=sys.stderr)
        self.assertEqual(failures, [], "\n".join(failures))

    # --- the formats -------------------------------------------------------------------------
    def predict_args(self, **overrides):
        base = {"--hardware": "rtx-4090", "--model": "gpt2", "--prompt": "16", "--gen": "2"}
        base.update(overrides)
        return ["predict", "--json"] + [x for kv in base.items() for x in kv]

    @staticmethod
    def stdout_json(_work, out):
        try:
            return json.loads(out)
        except ValueError:
            return None

    @staticmethod
    def file_json(name):
        def read(work, _out):
            path = os.path.join(work, "out", name)
            if not os.path.exists(path):
                return None
            with open(path) as f:
                return json.load(f)
        return read

    def small_serve(self, name, requests):
        """The shipped serve scenario with fewer requests, written to the test's folder."""
        path = os.path.join(self.tmp, name)
        tree = self.load_yaml("scenarios/serve-llama3-8b-h100.yaml")
        tree["workload"]["requests"] = requests
        with open(path, "w") as f:
            f.write(yaml_text(tree))
        return path

    def load_yaml(self, relative):
        with open(os.path.join(SOURCE, relative)) as f:
            return yaml.safe_load(f)

    def data_overlay(self, work, relative, tree):
        """A data directory like the repository's with one file replaced (LLMSIM_DATA_DIR)."""
        root = os.path.join(work, "data")
        for top in ("hwmodels", "workloads"):
            for entry in os.listdir(os.path.join(SOURCE, top)):
                src = os.path.join(SOURCE, top, entry)
                if os.path.isdir(src) or entry.endswith((".yaml", ".json")):
                    os.makedirs(os.path.join(root, top), exist_ok=True)
                    os.symlink(src, os.path.join(root, top, entry))
        target = os.path.join(root, relative)
        if os.path.islink(target):
            os.unlink(target)
        else:  # a file inside a linked folder: copy that folder instead
            folder = os.path.dirname(target)
            os.unlink(folder)
            shutil.copytree(os.path.join(SOURCE, os.path.dirname(relative)), folder)
        with open(target, "w") as f:
            f.write(yaml_text(tree))
        return {"LLMSIM_DATA_DIR": root}

    def test_system_yaml(self):
        def write(work, tree):
            path = os.path.join(work, "rtx-4090.yaml")  # a system file is named after its id
            with open(path, "w") as f:
                f.write(yaml_text(tree))
            return self.predict_args(**{"--hardware": path}), None
        self.check_format(Format("system", self.load_yaml("hwmodels/catalog/rtx-4090.yaml"), write,
                                 None, self.stdout_json))

    def test_memory_kinds(self):
        relative = "hwmodels/defaults/memory-kinds.yaml"
        def write(work, tree):
            return self.predict_args(), self.data_overlay(work, relative, tree)
        self.check_format(Format("memory-kinds", self.load_yaml(relative), write, None, self.stdout_json))

    def test_software_profile(self):
        def write(work, tree):
            path = os.path.join(work, "profile.yaml")
            with open(path, "w") as f:
                f.write(yaml_text(tree))
            return self.predict_args(**{"--software": path}), None
        self.check_format(Format("profile", self.load_yaml("hwmodels/profiles/llama.cpp.yaml"), write, None,
                                 self.stdout_json))

    def test_storage_formats(self):
        relative = "workloads/formats.yaml"
        def write(work, tree):
            return self.predict_args(**{"--dtype": "q4_k_m", "--model": "llama-3.2-1b"}), \
                self.data_overlay(work, relative, tree)
        self.check_format(Format("formats", self.load_yaml(relative), write, None, self.stdout_json))

    def test_model_configs(self):
        for model in ("gpt2", "llama-3.2-1b", "qwen3-30b-a3b"):
            with open(os.path.join(SOURCE, "workloads", "models", model + ".json")) as f:
                tree = json.load(f)
            def write(work, tree):
                path = os.path.join(work, "config.json")
                with open(path, "w") as f:
                    json.dump(tree, f)
                return self.predict_args(**{"--model": path, "--hardware": "h100-sxm5-80gb"}), None
            with self.subTest(model=model):
                self.check_format(Format("config.json " + model, tree, write, None, self.stdout_json,
                                         extremes=JSON_EXTREMES))

    def scenario_format(self, name, relative, command, result, edit=None, skip=()):
        tree = self.load_yaml(relative)
        if edit:
            edit(tree)
        folder = os.path.dirname(os.path.join(SOURCE, relative))
        def write(work, tree):
            tree = copy.deepcopy(tree)
            for key in ("hardware", "model", "software"):  # relative to the scenario's folder
                if isinstance(tree.get(key), str) and tree[key].endswith((".yaml", ".json")):
                    tree[key] = os.path.join(folder, tree[key])
            path = os.path.join(work, "scenario.yaml")
            with open(path, "w") as f:
                f.write(yaml_text(tree))
            return [command, path, "--out", os.path.join(work, "out")] + (["--quiet"] if command != "run" else []), None
        return Format(name, tree, write, None, result, skip=skip)

    def test_run_scenario(self):
        def small(tree):
            tree.update({"prompt": 32, "gen": 4, "model": "llama-3.2-1b"})
        self.check_format(self.scenario_format("run scenario", "scenarios/default.yaml", "run",
                                               self.file_json("result.json"), small))

    def test_serve_scenario(self):
        def small(tree):
            tree["workload"]["requests"] = 40
            tree["workload"]["rate"] = 5
        self.check_format(self.scenario_format("serve scenario", "scenarios/serve-llama3-8b-h100.yaml", "serve",
                                               self.file_json("serve.json"), small))

    def test_train_scenario(self):
        def small(tree):
            tree.pop("variants", None)
            tree["batch"] = 2
            tree["seq_len"] = 128
        self.check_format(self.scenario_format("train scenario", "scenarios/train-gpt2-a100.yaml", "train",
                                               self.file_json("train.json"), small))

    def test_plan_file(self):
        serve = self.small_serve("plan-base-serve.yaml", 20)
        tree = {"name": "p", "serve": serve, "parallel": 2, "grid": {"replicas": [1], "max_batch": [64]},
                "target": {"ttft_p99_s": 1.0, "tpot_p99_s": 0.1}}
        def write(work, tree):
            path = os.path.join(work, "plan.yaml")
            with open(path, "w") as f:
                f.write(yaml_text(tree))
            return ["plan", path, "--out", os.path.join(work, "out")], None
        self.check_format(Format("plan file", tree, write, None, self.exit_only))

    def test_request_trace(self):
        rows = {"rows": [{"arrival_s": 0.0, "prompt_tokens": 100, "output_tokens": 20},
                         {"arrival_s": 0.5, "prompt_tokens": 200, "output_tokens": 30},
                         {"arrival_s": 1.0, "prompt_tokens": 50, "output_tokens": 10}]}
        def write(work, tree):
            trace = os.path.join(work, "trace.csv")
            with open(trace, "w") as f:
                f.write("arrival_s,prompt_tokens,output_tokens\n")
                for r in tree["rows"]:
                    f.write(",".join(str(r[k]) for k in ("arrival_s", "prompt_tokens", "output_tokens")) + "\n")
            scenario = self.load_yaml("scenarios/serve-llama3-8b-h100.yaml")
            scenario["workload"] = {"arrival": "trace", "trace_file": trace}
            path = os.path.join(work, "scenario.yaml")
            with open(path, "w") as f:
                f.write(yaml_text(scenario))
            return ["serve", path, "--out", os.path.join(work, "out"), "--quiet"], None
        self.check_format(Format("request trace", rows, write, None, self.file_json("serve.json")))

    def test_measurement_csv(self):
        if not BENCH:
            self.skipTest("LLMSIM_BENCH not set")
        columns = ["id", "source", "hardware", "mem_bw_gbs_spec", "model", "params_b", "dtype", "batch", "prompt_len",
                   "gen_len", "software", "backend", "metric", "value", "unit", "notes"]
        with open(os.path.join(SOURCE, "validate", "data", "public_llamacpp.csv"), newline="") as f:
            import csv
            rows = [dict(zip(columns, r)) for r in list(csv.reader(f))[1:3]]
        for row in rows:  # the numeric columns as numbers, so that the walk finds them
            for key in ("id", "mem_bw_gbs_spec", "batch", "prompt_len", "gen_len", "value"):
                row[key] = float(row[key]) if "." in row[key] else int(row[key])
        def write(work, tree):
            import csv
            path = os.path.join(work, "rows.csv")
            with open(path, "w", newline="") as f:
                out = csv.writer(f)
                out.writerow(columns)
                for row in tree["rows"]:
                    out.writerow([row[c] for c in columns])
            records = os.path.join(work, "rows.pb")
            return [[BENCH, "import-csv", path, "-o", records],
                    [LLMSIM, "validate", "--measurements", records, "--hardware", "rtx-4090", "--json",
                     "--no-simulate"]], None
        self.check_format(Format("measurement CSV", {"rows": rows}, write, None, self.stdout_json))

    def flag_trials(self, command, base_args, result, text_flags=()):
        help_text = subprocess.run([LLMSIM, command, "--help"], capture_output=True, text=True).stdout
        flags = re.findall(r"^\s+(?:-\w,)?(--[\w-]+)(?:,--[\w-]+)?\s+(?:INT|FLOAT|UINT)", help_text, re.M)
        flags += list(text_flags)  # numbers that the help lists as TEXT (they also take a word)
        self.assertGreater(len(flags), 0, help_text)
        tree = {flag: 1 for flag in flags}
        def write(work, tree_with_one):
            changed = [f for f in flags if tree_with_one[f] != 1]
            args = [a.replace("{work}", work) for a in base_args]
            if command == "serve":
                args += ["--out", os.path.join(work, "out"), "--quiet"]
            for flag in changed:
                value = tree_with_one[flag]
                text = "nan" if isinstance(value, float) and math.isnan(value) else str(value)
                if flag in args:  # the base run sets it: replace its value
                    args[args.index(flag) + 1] = text
                else:
                    args += [flag, text]
            return args, None
        return Format(f"{command} flags", tree, write, None, result)

    @staticmethod
    def exit_only(_work, _out):
        """For commands without a JSON result: a handled exit code is what is checked."""
        return {}

    def test_other_commands_flags(self):
        """The numeric flags of every other subcommand, each on a small base run that succeeds."""
        tmp = self.tmp
        kernels = os.path.join(tmp, "kernels.pb")
        apple = os.path.join(tmp, "apple.pb")
        data = os.path.join(SOURCE, "validate", "data")
        if BENCH:
            subprocess.run([BENCH, "import-csv", os.path.join(data, "public_kernels.csv"), "-o", kernels], check=True,
                           capture_output=True)
            subprocess.run([BENCH, "import-csv", os.path.join(data, "public_llamacpp.csv"), "--rows", "23-27", "-o",
                            apple], check=True, capture_output=True)
        prefix = os.path.join(tmp, "step")
        subprocess.run([LLMSIM, "export-chakra", "--hardware", "h100-sxm5-80gb", "--model", "gpt2", "--prompt", "16",
                        "--gen", "1", "--out", prefix], check=True, capture_output=True)
        scenario = os.path.join(tmp, "small-run.yaml")
        with open(scenario, "w") as f:
            f.write("name: small\nhardware: rtx-4090\nmodel: gpt2\nprompt: 16\ngen: 2\n")
        serve = self.small_serve("plan-serve.yaml", 20)
        plan = os.path.join(tmp, "plan.yaml")
        with open(plan, "w") as f:
            f.write(f"name: p\nserve: {serve}\ngrid: {{replicas: [1]}}\ntarget: {{ttft_p99_s: 1}}\n")
        commands = [
            ("export-chakra", ["export-chakra", "--hardware", "h100-sxm5-80gb", "--model", "gpt2", "--prompt", "16",
                               "--gen", "1", "--out", "{work}/step"], self.exit_only),
            ("import-chakra", ["import-chakra", prefix, "--ranks", "1", "--hardware", "h100-sxm5-80gb", "--json"],
             self.stdout_json),
            ("sweep", ["sweep", scenario, "--set", "batch=1,2", "-o", "{work}/s.csv"], self.exit_only),
            ("plan", ["plan", plan, "--out", "{work}/plan"], self.exit_only),
        ]
        if BENCH:
            commands += [
                ("validate", ["validate", "--measurements", kernels, "--hardware", "rtx-4090", "--skip-other-hardware",
                              "--json", "--no-simulate"], self.stdout_json),
                ("calibrate", ["calibrate", "--measurements", kernels, "--hardware", "rtx-4090",
                               "--skip-other-hardware", "--folds", "3", "-o", "{work}/c.yaml"], self.exit_only),
                ("calibrate-profile", ["calibrate-profile", "--measurements", apple, "--software", "llama.cpp", "--fit",
                                       "matmul.max_fraction,memory.kernel_fraction", "-o", "{work}/p.yaml"],
                 self.exit_only),
            ]
        for command, base, result in commands:
            with self.subTest(command=command):
                self.check_format(self.flag_trials(command, base, result))

    def test_predict_flags(self):
        self.check_format(self.flag_trials("predict", self.predict_args(), self.stdout_json))

    def test_serve_flags(self):
        scenario = self.small_serve("serve-small.yaml", 40)
        self.check_format(self.flag_trials("serve", ["serve", scenario], self.file_json("serve.json"),
                                           text_flags=["--request-rate"]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
