"""``pf-forecast`` command line: ``demo`` and ``bench``."""

from __future__ import annotations

import argparse
import logging
import sys
import time


def _demo(args: argparse.Namespace) -> int:
    import torch

    from pf_forecast.demo import DemoSettings, format_result, run_demo

    torch.set_num_threads(args.threads)
    settings = DemoSettings(epochs=args.epochs, seed=args.seed)
    start = time.perf_counter()
    result = run_demo(args.out, settings=settings, data_dir=args.data_dir, progress=not args.quiet)
    print(format_result(result))
    print(f"Total run time: {time.perf_counter() - start:.0f} s")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pf-forecast",
        description="Progressive Fusion forecasting with darts: demo and benchmarks.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="train on Beijing PM2.5 and compare with seasonal naive and TiDE")
    demo.add_argument("--out", default="demo_out", help="output folder for forecast.png (default: demo_out)")
    demo.add_argument("--epochs", type=_positive_int, default=4, help="training epochs (default: 4)")
    demo.add_argument("--seed", type=_non_negative_int, default=0, help="random seed (default: 0)")
    demo.add_argument("--threads", type=_positive_int, default=1, help="torch CPU threads (default: 1)")
    demo.add_argument("--data-dir", default=None, help="datasets folder (default: the packaged datasets)")
    demo.add_argument(
        "--quiet", action="store_true",
        help="no progress output (default: progress bars on a terminal, otherwise one line per model fit)",
    )
    demo.set_defaults(handler=_demo)

    from pf_forecast.benchmark import add_bench_arguments, run_bench

    bench = sub.add_parser("bench", help="benchmark models on accuracy, robustness and speed")
    add_bench_arguments(bench)
    bench.set_defaults(handler=run_bench)
    return parser


def _int_at_least(minimum: int):
    """An argparse ``type`` accepting integers >= ``minimum``, with an error that names the value seen."""
    wanted = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
        return value

    return parse


_positive_int = _int_at_least(1)
_non_negative_int = _int_at_least(0)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``pf-forecast`` console script."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    # Lightning resets its loggers to INFO when imported ("GPU available: False ..."); quiet them after import
    import pytorch_lightning  # noqa: F401

    for name in ("pytorch_lightning", "lightning.pytorch", "lightning_fabric"):
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        resume = " Finished cells are kept; run the same command again to resume." if args.command == "bench" else ""
        print(f"pf-forecast {args.command}: interrupted.{resume}", file=sys.stderr)
        return 130
    except (ValueError, TypeError, FileNotFoundError, NotADirectoryError) as err:
        # a caller's mistake: one clear line, no stack trace from deep inside torch
        message = " ".join(line.strip() for line in str(err).splitlines() if line.strip())
        print(f"pf-forecast {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
