"""Pair darts' generic test cases of TiDEModel and ProgressiveFusionForecaster from a pytest ``-rA`` log.

Usage: ``python summarize_log.py PYTEST_LOG``: counts per file and model, then the cases that fail for pf but pass
for TiDE (the ones that matter), fail for both, and fail for TiDE only.
"""

import collections
import re
import sys

log = open(sys.argv[1]).read()
res = {}
for status, nodeid in re.findall(r"^(PASSED|FAILED|ERROR|SKIPPED) (\S+)", log, re.M):
    res[nodeid] = status
counts = collections.defaultdict(collections.Counter)
pairs = collections.defaultdict(dict)
for nid, st in res.items():
    f = nid.split("::")[0]
    model = "pf" if "ProgressiveFusionForecaster" in nid else "TiDE" if "TiDE" in nid else "?"
    counts[(f, model)][st] += 1
    key = nid.replace("ProgressiveFusionForecaster", "MODEL").replace("TiDEModel", "MODEL")
    key = re.sub(r"-ts[0-9]\]", "-tsX]", key)
    # static-cov ids differ (ts0..2 vs ts3..5): pair by position
    pairs[key].setdefault(model, []).append(st)
for (f, m), c in sorted(counts.items()):
    print(f"{f:40s} {m:5s} run={sum(c.values())} passed={c['PASSED']} failed={c['FAILED']} errors={c['ERROR']}")
print("\n-- pf FAILED, TiDE PASSED --")
for k, v in sorted(pairs.items()):
    for i, st in enumerate(v.get("pf", [])):
        t = v.get("TiDE", [None] * (i + 1))[i]
        if st != "PASSED" and t == "PASSED":
            print("  ", k.split("::", 2)[-1])
print("-- both FAILED --")
for k, v in sorted(pairs.items()):
    for i, st in enumerate(v.get("pf", [])):
        t = v.get("TiDE", [None] * (i + 1))[i]
        if st != "PASSED" and t != "PASSED":
            print("  ", k.split("::", 2)[-1])
print("-- TiDE FAILED, pf PASSED --")
for k, v in sorted(pairs.items()):
    for i, st in enumerate(v.get("pf", [])):
        t = v.get("TiDE", [None] * (i + 1))[i]
        if st == "PASSED" and t != "PASSED":
            print("  ", k.split("::", 2)[-1])
