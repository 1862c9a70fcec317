"""Throughput of the cloud search against a reference loop and the matmul peak.

For data shaped like Sonar, Optical Digits and Adult (random values, the
datasets' sizes and the paper's maximal topologies), the Random Cloud search
(:func:`sklearn_rcloud.search.progressive_reduction`) scores every truncated
sub-network of every network. It is compared, in the same run, with:

(a) the reference loop: each candidate built with ``Topology.to_module()`` and
    scored by its own forward pass (timed on a subset of networks);
(b) a large fp32 matmul, the practical peak of this machine;
(c) with ``--device cuda``, the same search on the CPU (last column).

"FLOP bound" is the ratio of the reference loop's arithmetic to the part no
search can avoid, one forward pass of every network's hidden layers: the loop
recomputes them for every candidate, the batched search once per network.
Where both are compute-bound (large data) no implementation can beat the loop
by more than this factor; where per-call overhead dominates (small data) the
measured ratio exceeds it.

Executed GFLOP/s counts the arithmetic the batched search really does (the
cloud's forward pass and the cumulative-sum read-outs). Equivalent GFLOP/s
counts the forward passes it stands for (every candidate on every sample).

    python benchmarks/bench_cloud.py [--n-networks 50] [--device cpu]
"""

import argparse
import time

import numpy as np
import torch

from sklearn_rcloud import Topology
from sklearn_rcloud.cloud import RandomCloud
from sklearn_rcloud.proxies import get_proxy
from sklearn_rcloud.search import progressive_reduction, reduction_stages

SHAPES = {
    # name: (n_samples, n_features, n_classes, hidden, step)
    "sonar": (166, 60, 2, (8,), 1),
    "optdigits": (3823, 64, 10, (32,), 2),
    "adult": (30162, 104, 2, (16,), 2),
}


def matmul_peak(device, size=2048, repeats=10):
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    a @ b
    best = np.inf
    for _ in range(repeats):
        _sync(device)
        tic = time.perf_counter()
        a @ b
        _sync(device)
        best = min(best, time.perf_counter() - tic)
    return 2 * size**3 / best / 1e9


def _sync(device):
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def executed_flops(topology, n_networks, n_samples, stages):
    """Arithmetic of the batched search: the cloud's hidden layers, then per
    stage the masked read-out matmul (one output column for two classes)."""
    hidden = topology.hidden_layer_sizes
    outputs = 1 if topology.n_outputs == 2 else topology.n_outputs
    forward = topology.n_hidden_flops
    prefix = sum(2 * hidden[depth - 1] * len(w) * outputs for depth, w in stages)
    return n_networks * n_samples * (forward + prefix)


def first_layer_gemm(n, f, width, device, repeats=5):
    """GFLOP/s of the search's largest matmul alone: (n, f) @ (f, width)."""
    a = torch.rand(n, f, device=device)
    b = torch.rand(f, width, device=device)
    seconds = best_time(lambda: (a @ b, _sync(device)), repeats)
    return 2 * n * f * width / seconds / 1e9


def best_time(fn, repeats=3):
    best = np.inf
    for _ in range(repeats):
        tic = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - tic)
    return best


def measure(name, shape, scorer, n_networks, device, peak):
    """One table row: the search on one data shape against its references."""
    n, f, c, hidden, step = shape
    generator = torch.Generator(device=device).manual_seed(0)
    X = torch.rand(n, f, generator=generator, device=device)
    y = torch.randint(0, c, (n,), generator=generator, device=device)
    topology = Topology(f, hidden, c, "logistic")
    cloud = RandomCloud(topology, n_networks, "uniform", generator, device=device)

    def search():
        result = progressive_reduction(cloud, X, y, scorer, step=step)
        _sync(device)
        return result

    result = search()
    seconds = best_time(search)
    n_candidates = result.scores.size
    stages = reduction_stages(hidden, step)
    executed = executed_flops(topology, n_networks, n, stages) / seconds / 1e9
    equivalent = (
        n
        * n_networks
        * sum(cloud.sub_topology(h).n_flops for h in result.candidates)
        / seconds
        / 1e9
    )
    # Reference loop on a few networks, scaled per candidate.
    n_ref = max(1, min(n_networks, 2000 // len(result.candidates)))
    ref_cloud = RandomCloud(
        topology,
        n_ref,
        "uniform",
        torch.Generator(device=device).manual_seed(0),
        device=device,
    )
    ref_seconds = best_time(
        lambda: progressive_reduction(ref_cloud, X, y, scorer.__call__, step=step),
        repeats=1,
    )
    ref_rate = n_ref * len(result.candidates) / ref_seconds
    rate = n_candidates / seconds
    versus_cpu = ""
    if str(device) != "cpu":
        cpu_generator = torch.Generator().manual_seed(0)
        cpu_cloud = RandomCloud(topology, n_networks, "uniform", cpu_generator)
        X_cpu, y_cpu = X.cpu(), y.cpu()
        cpu_seconds = best_time(
            lambda: progressive_reduction(cpu_cloud, X_cpu, y_cpu, scorer, step=step)
        )
        versus_cpu = f" {cpu_seconds / seconds:.1f}× |"
    gemm = first_layer_gemm(n, f, n_networks * hidden[0], device)
    reference_flops = (
        n_networks * n * sum(cloud.sub_topology(h).n_flops for h in result.candidates)
    )
    unavoidable = n_networks * n * topology.n_hidden_flops
    bound = reference_flops / unavoidable
    print(
        f"| {name} | {n_networks} | {n_candidates} | {rate:,.0f} | "
        f"{rate / ref_rate:.0f}× | {bound:.1f}× | {executed:.1f} | "
        f"{100 * executed / peak:.0f}% "
        f"| {gemm:.0f} GFLOP/s ({100 * gemm / peak:.0f}%) "
        f"| {equivalent:.1f} |{versus_cpu}",
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-networks", type=int, default=50)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--proxy", default="train_accuracy")
    args = parser.parse_args()
    device = args.device
    peak = matmul_peak(device)
    print(
        f"device {device}, torch threads {torch.get_num_threads()}, "
        f"fp32 matmul peak {peak:.1f} GFLOP/s, proxy {args.proxy}\n"
    )
    gpu = str(device) != "cpu"
    print(
        "| data | networks | candidates | candidates/s | vs reference loop "
        "| FLOP bound | executed GFLOP/s | % of matmul peak | same-shape GEMM "
        "alone | equivalent GFLOP/s |" + (" GPU vs CPU |" if gpu else "")
    )
    print("|---" * (11 if gpu else 10) + "|")
    scorer = get_proxy(args.proxy)
    for name, shape in SHAPES.items():
        measure(name, shape, scorer, args.n_networks, device, peak)


if __name__ == "__main__":
    main()
