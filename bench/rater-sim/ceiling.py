#!/usr/bin/env python3
"""Asymptotic (Cramér–Rao) ceiling of the active / random ratio of bench/rater-sim.sh, for the table in bench/README.md.

Each photo's score estimate is taken as Gaussian with variance 1 / (its Fisher information); a pair (i, j) is then
misordered with probability Φ(−|s_i − s_j| / √(σ_i² + σ_j²)), and τ-b ≥ 0.9 is ≤ 5 % of pairs misordered.
- random pairs, with an ideal (efficient) estimator: every photo gets k comparisons against uniform partners, each
  worth E_j[I(s_i − s_j)] (I: Fisher information of one three-way Rao–Kupper answer about the difference);
- the best any selector can do: every answer worth the maximum max_d I(d) (0.288 at ε = 0.4, reached only for
  equal photos), allocated uniformly or in proportion to the local density^(2/3) (the better of the two is shown).
Judgements = Σ comparisons / 2. Not a proof (non-asymptotic effects at low noise go both ways), but it shows where the
ratio comes from: how much of a random pair's answer is predictable, which depends on the MOS spread over T, not n.
Photos: all 627, or random subsets of 100 and 300 (numpy seed 1; not the simulation's subset). Needs numpy, scipy.
At the end: the counting floor (information-theoretic, any noise), the bound that binds at low noise.
Usage: bench/rater-sim/ceiling.py [SHARED]
"""
import csv, sys
import numpy as np
from scipy.optimize import brentq
from scipy.stats import norm

EPS = 0.4
shared = sys.argv[1] if len(sys.argv) > 1 else '../shared'
rows = list(csv.DictReader(open(f'{shared}/data/clive/mos.csv')))
mos_all = np.array([float(r['mos']) for r in rows])
t_single = np.mean([float(r['mos_std']) for r in rows]) * np.sqrt(2) / 1.702


def sig(x):
    return 1 / (1 + np.exp(-x))


def fisher(d):
    pf, ps = sig(d - EPS), sig(-d - EPS)
    pt = np.sinh(EPS) / (np.cosh(np.minimum(np.abs(d), 700)) + np.cosh(EPS))  # = 1 − pf − ps, without cancellation
    dpf, dps = pf * (1 - pf), -ps * (1 - ps)
    return dpf ** 2 / pf + dps ** 2 / ps + (dpf + dps) ** 2 / pt


i_max = fisher(np.linspace(-5, 5, 20001)).max()
print(f'max information per answer {i_max:.3f} (at d = 0)')
print('| n | T | random, ideal estimator | best selector | ceiling of random / active |')
print('|---|---|---|---|---|')
rng = np.random.default_rng(1)
for n in (100, 300, 627):
    mos = mos_all if n == len(mos_all) else rng.choice(mos_all, n, replace=False)
    iu = np.triu_indices(n, 1)
    for t in (t_single, 8, 4, 2, 1):
        s = (mos - mos.mean()) / t
        diff = s[:, None] - s[None, :]
        gap = np.abs(diff[iu])
        target = 0.05 * len(gap)

        def misordered(var):
            return norm.cdf(-gap / np.sqrt(var[iu[0]] + var[iu[1]])).sum()

        info = fisher(diff)
        np.fill_diagonal(info, 0)
        per_random = info.sum(1) / (n - 1)
        k = brentq(lambda k: misordered(1 / (k * per_random)) - target, 1e-3, 1e7)
        random_j = n * k / 2

        def judgements(alloc):
            c = brentq(lambda c: misordered(1 / (c * alloc * i_max)) - target, 1e-5, 1e8)
            return c * alloc.sum() / 2

        density = np.array([(np.abs(s - x) < 0.5 * s.std()).sum() for x in s], float)
        best = min(judgements(np.ones(n)), judgements(density ** (2 / 3)))
        label = f'{t:.1f} (single-rating sd)' if t == t_single else f'{t:.0f}'
        print(f'| {n} | {label} | {random_j:,.0f} | {best:,.0f} | {random_j / best:.1f}× |')

# The counting floor (non-asymptotic, any selector, any noise): an answer carries at most ~1 bit about the order
# (1.004 bits with ε = 0.4: the three-way channel's capacity), and τ-b ≥ 0.9 (no ties) leaves at most
# K = ⌊0.05·n(n−1)/2⌋ discordant pairs, so a flat-prior campaign needs at least log2(n! / #{permutations with ≤ K
# inversions}) judgements (Mahonian numbers, exact). A head prior with Pearson ρ to the truth supplies at most about
# −½·log2(1 − ρ²) bits per photo (0.38 at ρ = 0.64), which lowers the floor by that much.
print()
print('| n | K (discordant pairs allowed) | counting floor: judgements (bits) | per photo | with a ρ = 0.64 prior (−0.38 bit/photo) |')
print('|---|---|---|---|---|')
for n in (100, 300, 627):
    K = int(np.floor(0.05 * n * (n - 1) / 2))
    c = np.zeros(K + 1)
    c[0] = 1.0
    log_scale = 0.0
    for j in range(1, n + 1):
        pre = np.concatenate([[0.0], np.cumsum(c)])
        k = np.arange(K + 1)
        c = pre[k + 1] - pre[np.maximum(0, k - j + 1)]
        m = c.max()
        c /= m
        log_scale += np.log2(m)
    within = np.log2(c.sum()) + log_scale
    bits = sum(np.log2(np.arange(1, n + 1))) - within
    prior = bits - 0.5 * -np.log2(1 - 0.64 ** 2) * n
    print(f'| {n} | {K:,} | {bits:,.0f} | {bits / n:.2f} | {prior:,.0f} ({prior / n:.2f} per photo) |')
