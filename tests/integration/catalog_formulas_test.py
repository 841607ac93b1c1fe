#!/usr/bin/env python3
"""Every peak in the catalog whose note shows the arithmetic it came from ("16384 x 2 x 2.52
GHz = 82.58") must be right twice: the arithmetic itself, and the value against its result.

The arithmetic is re-done here from the note's own numbers, independently of llmsim: the note
is read left of each '=', parenthesised asides are dropped, numbers joined by ' x ', ' * ' or
' / ' are multiplied or divided, and the product must equal the number after '=' up to a power
of 1000 (GHz x ops give GFLOPS, written as TFLOPS) within 1%. The value must then equal one of
the results (or their sum, for P-core + E-core notes) up to a power of 1000 within 2.5% (a
datasheet may round: Apple prints 10.4 for a derived 10.617)."""
import glob
import math
import os
import re
import sys

import yaml

SOURCE = os.environ.get("LLMSIM_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))

NUMBER = re.compile(r"^\d[\d,]*(?:\.\d+)?$")
TOKEN = re.compile(r"\s[x×*]\s|\s/\s|[A-Za-z][\w%\-/.+']*|\d[\d,]*(?:\.\d+)?[A-Za-z]\w*|\d[\d,]*(?:\.\d+)?|\S")


def formulas(note):
    """(computed, stated) for every 'a x b ... = r' in the note."""
    text = note
    while re.search(r"\([^()]*\)", text):
        text = re.sub(r"\([^()]*\)", " ", text)
    out = []
    for segment in re.split(r"[;,](?!\d)", text):
        for m in re.finditer(r"=\s*(\d[\d,]*(?:\.\d+)?)", segment):
            tokens = TOKEN.findall(" " + segment[: m.start()] + " ")
            seq = []  # walk back from '=': numbers and operators, skipping unit words
            for t in reversed(tokens):
                if NUMBER.match(t):
                    if seq and seq[-1][0] == "n":
                        break  # two numbers with no operator between: the expression started after this one
                    seq.append(("n", float(t.replace(",", ""))))
                elif t.strip() in ("x", "×", "*", "/"):
                    if seq and seq[-1][0] == "o":
                        break
                    seq.append(("o", t.strip()))
                elif t.strip() in ("=", ":", "sum"):
                    break
            seq.reverse()
            while seq and seq[0][0] == "o":
                seq.pop(0)
            if not any(kind == "o" for kind, _ in seq):
                continue
            value = seq[0][1]
            for i in range(1, len(seq) - 1, 2):
                value = value / seq[i + 1][1] if seq[i][1] == "/" else value * seq[i + 1][1]
            out.append((value, float(m.group(1).replace(",", ""))))
    return out


def close(a, b, tolerance):
    if a <= 0 or b <= 0:
        return False
    r = math.log10(a / b)
    return abs(r - 3 * round(r / 3)) < math.log10(1 + tolerance)


def main():
    checked, problems = 0, []
    for path in sorted(glob.glob(os.path.join(SOURCE, "hwmodels", "catalog", "*.yaml"))):
        system = yaml.safe_load(open(path))
        for device in system.get("devices", []):
            for dtype, q in device.get("peak_tflops", {}).items():
                found = formulas(str(q.get("note", "")))
                if not found:
                    continue
                checked += 1
                where = f"{os.path.basename(path)} {device['id']} peak_tflops.{dtype}"
                for computed, stated in found:
                    if not close(computed, stated, 0.01):
                        problems.append(f"{where}: the note's arithmetic gives {computed:g}, it states {stated:g}")
                stated = [s for _, s in found]
                if not any(close(q["value"], s, 0.025) for s in stated + [sum(stated)]):
                    problems.append(f"{where}: value {q['value']} matches none of the note's results {stated}")
    for p in problems:
        print("FAIL", p)
    print(f"{checked} peaks with a formula checked, {len(problems)} problems")
    return 1 if problems or checked < 50 else 0


if __name__ == "__main__":
    sys.exit(main())
