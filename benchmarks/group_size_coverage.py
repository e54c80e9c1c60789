"""Coverage of topiclab.compare's intervals by documents per group, and the threshold it sets.

Groups of n documents draw their true theme shares from the simulation's Dirichlet
(topiclab.themes.simulate, oracle shares: no model fit, so this is the best the bootstrap can
do); compare() gives every group of two or more documents an interval, and the script counts
how often the intervals contain the group's expected shares, per n, with Monte Carlo SEs.
``themes.min_group_size`` (topiclab.themes.comparison.MIN_GROUP_SIZE) must be the smallest
n from which every measured size covers at least 0.90: smaller groups are ``too_small``.

Usage:
    python benchmarks/group_size_coverage.py [--groups 1000] [--boot 1000]
        [--sizes 2 3 4 5 6 7 8 10 15 20 32] [--concentration 4] [--out FILE]

The corpus is simulated, so this benchmark takes no --data argument.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

from topiclab.themes.comparison import (  # noqa: E402
    GROUP_SIZES,
    MIN_GROUP_SIZE,
    group_size_coverage,
    smallest_covered_size,
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", type=int, default=1000, help="simulated groups per size")
    parser.add_argument("--boot", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(GROUP_SIZES))
    parser.add_argument("--concentration", type=float, default=4.0)
    parser.add_argument("--floor", type=float, default=0.90)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="write the table as markdown here")
    args = parser.parse_args(argv)
    start = time.process_time()
    table = group_size_coverage(
        args.sizes,
        groups=args.groups,
        n_boot=args.boot,
        concentration=args.concentration,
        random_state=args.seed,
    )
    cpu = time.process_time() - start
    threshold = smallest_covered_size(table, args.floor)
    lines = [
        "| documents per group | groups | intervals | coverage ± MCSE | worst theme | mean width |",
        "|---|---|---|---|---|---|",
    ]
    for r in table.itertuples(index=False):
        lines.append(
            f"| {r.n} | {r.groups} | {r.intervals} | {r.coverage:.3f} ± {r.mcse:.3f} | "
            f"{r.worst_theme} {r.worst_coverage:.3f} | {r.mean_width:.3f} |"
        )
    lines += [
        "",
        f"Smallest size from which every measured size covers >= {args.floor:.2f}: "
        f"{threshold} (MIN_GROUP_SIZE in the code: {MIN_GROUP_SIZE}).",
        f"CPU: {cpu:.0f} s. Command: python {' '.join(sys.argv)}",
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")


if __name__ == "__main__":
    main()
