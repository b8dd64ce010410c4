#!/usr/bin/env python3
"""Test vectors for src/monitor/stats: scipy's results on seeded inputs.

    python3 src/monitor/stats/vectors/generate.py > src/monitor/stats/vectors/scipy.json

Needs numpy and scipy (Debian: apt-get install -y python3-scipy). The TypeScript tests
(src/monitor/stats/stats.test.ts) require agreement to 1e-6.
"""
import json
import sys

import numpy as np
import scipy
from scipy import stats
from scipy.spatial import distance

rng = np.random.default_rng(20240611)


def r(a, digits=6):
    """Round samples so the JSON stays small; scipy runs on the rounded values."""
    return [float(x) for x in np.round(np.asarray(a, dtype=float), digits)]


def ks_case(name, a, b):
    a, b = r(a), r(b)
    res = stats.ks_2samp(a, b)  # method='auto'
    return {"name": name, "a": a, "b": b, "statistic": float(res.statistic), "pvalue": float(res.pvalue)}


ks = [
    ks_case("tiny", rng.normal(size=5), rng.normal(size=7)),
    ks_case("equal-20", rng.normal(size=20), rng.normal(0.5, 1, size=20)),
    ks_case("ties-integers", rng.integers(0, 6, size=60), rng.integers(0, 7, size=85)),
    ks_case("equal-100-same", rng.normal(size=100), rng.normal(size=100)),
    ks_case("300-vs-1000", rng.exponential(size=300), rng.exponential(1.2, size=1000)),
    ks_case("1000-vs-1000-shift", rng.normal(size=1000), rng.normal(0.1, 1, size=1000)),
    ks_case("2000-vs-3000", rng.lognormal(size=2000), rng.lognormal(0.05, 1, size=3000)),
    ks_case("10000-vs-9000", rng.normal(size=10000), rng.normal(0.02, 1, size=9000)),
    ks_case("asymp-12000-vs-50", rng.normal(size=12000), rng.normal(0.3, 1, size=50)),
    ks_case("asymp-12000-vs-130-same", rng.normal(size=12000), rng.normal(size=130)),
    ks_case("asymp-11000-vs-400", rng.uniform(size=11000), rng.uniform(0.02, 1.02, size=400)),
    ks_case("asymp-10500-vs-3000-ties", rng.integers(0, 40, size=10500), rng.integers(0, 40, size=3000)),
]

# The one-sample two-sided distribution behind the asymptotic p-value, over every branch.
kstwo = []
for n in [1, 2, 5, 10, 40, 100, 140, 141, 500, 2000, 10000, 50000, 100000, 150000]:
    for x in [0.3 / n, 0.75 / n, 1.0 / n, 0.001, 0.003, 0.01, 0.02, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.45, 0.5, 0.6, 0.9, 1 - 1.5 / n]:
        if 0 < x < 1:
            kstwo.append({"n": n, "x": float(x), "sf": float(stats.kstwo.sf(x, n))})

chi2_sf = []
for df in [1, 2, 3, 5, 10, 30, 100, 1000]:
    for x in [0.01, 0.5, 1, 2.5, 5, 10, 30, 100, 300, 1500]:
        chi2_sf.append({"df": df, "x": x, "sf": float(stats.chi2.sf(x, df))})

chisquare = []
for k, n in [(2, 50), (3, 200), (5, 1000), (12, 5000)]:
    p = rng.dirichlet(np.ones(k))
    obs = rng.multinomial(n, rng.dirichlet(np.ones(k) * 20 * p + 0.5)).astype(float)
    exp = p * obs.sum()
    res = stats.chisquare(obs, exp)
    chisquare.append({"observed": r(obs), "expected": [float(v) for v in exp], "statistic": float(res.statistic), "pvalue": float(res.pvalue)})

contingency = []
for k, n1, n2, corr in [(2, 40, 60, True), (2, 400, 500, False), (3, 100, 90, True), (6, 5000, 3000, False), (6, 5000, 3000, True)]:
    p = rng.dirichlet(np.ones(k) * 3)
    t = np.array([rng.multinomial(n1, p), rng.multinomial(n2, rng.dirichlet(np.ones(k) * 30 * p + 0.1))])
    res = stats.chi2_contingency(t, correction=corr)
    contingency.append({"table": t.tolist(), "correction": corr, "statistic": float(res.statistic), "pvalue": float(res.pvalue), "dof": int(res.dof)})

wasser = []
for na, nb in [(1, 1), (3, 8), (100, 100), (500, 1200), (5000, 3000)]:
    a = r(rng.normal(size=na))
    b = r(rng.gamma(2, size=nb))
    wasser.append({"a": a, "b": b, "distance": float(stats.wasserstein_distance(a, b))})
wasser.append({"a": [0, 0, 1, 1, 1], "b": [1, 1, 2], "distance": float(stats.wasserstein_distance([0, 0, 1, 1, 1], [1, 1, 2]))})

js = []
for k in [2, 3, 10, 40]:
    p = rng.dirichlet(np.ones(k)) * 100
    q = rng.dirichlet(np.ones(k)) * 37
    js.append({"p": r(p), "q": r(q), "distance": float(distance.jensenshannon(r(p), r(q))), "distance_base2": float(distance.jensenshannon(r(p), r(q), base=2))})
js.append({"p": [1, 0, 3], "q": [0, 2, 2], "distance": float(distance.jensenshannon([1, 0, 3], [0, 2, 2])), "distance_base2": float(distance.jensenshannon([1, 0, 3], [0, 2, 2], base=2))})


def psi_np(ref, cur, eps=1e-4):
    p = np.maximum(np.asarray(ref, float) / np.sum(ref), eps)
    q = np.maximum(np.asarray(cur, float) / np.sum(cur), eps)
    return float(np.sum((q - p) * np.log(q / p)))


psis = []
for k in [2, 5, 10]:
    ref = rng.multinomial(1000, rng.dirichlet(np.ones(k))).tolist()
    cur = rng.multinomial(800, rng.dirichlet(np.ones(k))).tolist()
    psis.append({"reference": ref, "current": cur, "psi": psi_np(ref, cur)})
psis.append({"reference": [10, 0, 5], "current": [3, 4, 0], "psi": psi_np([10, 0, 5], [3, 4, 0])})

json.dump(
    {
        "generator": "src/monitor/stats/vectors/generate.py",
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "ks_2samp": ks,
        "kstwo_sf": kstwo,
        "chi2_sf": chi2_sf,
        "chisquare": chisquare,
        "chi2_contingency": contingency,
        "wasserstein_distance": wasser,
        "jensenshannon": js,
        "psi": psis,
    },
    sys.stdout,
    separators=(",", ":"),
)
sys.stdout.write("\n")
