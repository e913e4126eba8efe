"""How much of pf's fit time does feeding the context into a later encoder layer save? Fit times side by side.

With the default ``context_layer=0`` the fused context enters the encoders' stem, so each refinement step runs every
encoder layer again; with ``context_layer=3`` (configuration ``ctx_last`` of ``select_defaults.py``) it enters the
last residual layer's input and only that layer runs again. This probe fits, in one process and one after the
other, pf with its defaults, pf with each configuration given, and the bench's ``tide`` and ``pf-late``, each as the
bench fits it (every training window, early stopping on the task's validation segment, one thread) and reports
fit seconds, epochs and seconds per epoch, and each model's fit time over TiDE's. Nothing is scored: the test
segment is never read.

Usage (what wrote ``fit_time.txt``; each pair of commands ran side by side)::

    python benchmarks/probes/fit_time.py --tasks epf-PJM:future --configs ctx_last
    python benchmarks/probes/fit_time.py --tasks epf-DE:past --configs ctx_last
    python benchmarks/probes/fit_time.py --tasks stocks:past,etth1:past --configs ctx_last
    python benchmarks/probes/fit_time.py --tasks beijing:past --configs ctx_last

What it measured is in ``fit_time.txt`` (one seed): an epoch of ``ctx_last`` costs 0.69-0.82x the default's; it
fitted in 1.05-1.50x TiDE's time on EPF DE past, EPF PJM future, ETTh1 and Beijing, where the default took
1.64-4.02x, and in 2.24x on stocks (TiDE fits it in 8 s; the default 3.27x, late fusion 1.93x).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # select_defaults.py

from select_defaults import CONFIGS, build, load_spec, quiet_one_thread  # noqa: E402

from pf_forecast.benchmark.models import BenchSettings, fit_model, model_inputs  # noqa: E402
from pf_forecast.benchmark.runner import quiet_training  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", default="epf-PJM:future", help="comma list of dataset:track")
    parser.add_argument("--configs", default="ctx_last", help=f"pf configurations: {', '.join(CONFIGS)}")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    quiet_one_thread()
    settings = BenchSettings(work_dir=tempfile.mkdtemp(prefix="pf-fit-time-"))  # the bench's defaults
    names = ["tide", "base", *[c for c in args.configs.split(",") if c], "pf-late"]
    print("task | model | fit s | epochs | s per epoch | fit / tide")
    for spec in args.tasks.split(","):
        dataset, track = spec.split(":")
        task = load_spec(dataset, track)
        tide_seconds = None
        for name in names:
            model, bench_name = build(name, task, args.seed, settings)
            start = time.perf_counter()
            with quiet_training():
                facts = fit_model(model, bench_name, task, settings,
                                  inputs=model_inputs(bench_name, task, settings.impute))
            seconds = time.perf_counter() - start
            tide_seconds = seconds if name == "tide" else tide_seconds
            epochs = facts["epochs_trained"]
            print(f"{dataset} / {track} | {name} | {seconds:.0f} | {epochs} | {seconds / epochs:.1f} | "
                  f"{seconds / tide_seconds:.2f}", flush=True)


if __name__ == "__main__":
    main()
