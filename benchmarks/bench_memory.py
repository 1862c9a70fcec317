"""Peak memory of a cloud of 10,000 networks searched on Adult-sized data.

Each configuration runs in a fresh process, which reports its peak resident
memory (``ru_maxrss``) before and after the search, so one run's allocations
cannot hide another's.

    python benchmarks/bench_memory.py [--n-networks 10000]
"""

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
import torch
from sklearn_rcloud import Topology
from sklearn_rcloud.cloud import RandomCloud
from sklearn_rcloud.proxies import get_proxy
from sklearn_rcloud.search import progressive_reduction

n_networks, scorer_name = int(sys.argv[1]), sys.argv[2]
generator = torch.Generator().manual_seed(0)
X = torch.rand(30162, 104, generator=generator)
y = torch.randint(0, 2, (30162,), generator=generator)
topology = Topology(104, (16,), 2, "logistic")
cloud = RandomCloud(topology, n_networks, "uniform", generator)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tic = time.perf_counter()
result = progressive_reduction(cloud, X, y, get_proxy(scorer_name), step=2)
seconds = time.perf_counter() - tic
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"before_kib": before, "peak_kib": after, "seconds": seconds,
                  "candidates": int(result.scores.size)}))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-networks", type=int, default=10_000)
    args = parser.parse_args()
    print(
        "| scorer | networks | candidates | peak RSS | of which the search | "
        "search s | limit 2 GiB |"
    )
    print("|---|---|---|---|---|---|---|")
    for scorer in ("train_accuracy", "readout"):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(args.n_networks), scorer],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        stats = json.loads(out.strip().splitlines()[-1])
        peak = stats["peak_kib"] / 2**20
        search = (stats["peak_kib"] - stats["before_kib"]) / 2**20
        print(
            f"| {scorer} | {args.n_networks} | {stats['candidates']} | "
            f"{peak:.2f} GiB | {search:.2f} GiB | {stats['seconds']:.1f} | "
            f"{'within' if peak < 2 else 'OVER'} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
