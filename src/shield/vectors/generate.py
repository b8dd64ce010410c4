#!/usr/bin/env python3
"""Test vectors for src/shield/stats/shapiro-wilk.ts: scipy.stats.shapiro on seeded samples.

    /usr/bin/python3 src/shield/vectors/generate.py > src/shield/vectors/shapiro-debian.json   # Debian python3-scipy
    python3 src/shield/vectors/generate.py > src/shield/vectors/shapiro-scipy.json             # a current scipy (pip)

Debian 12's python3-scipy (1.10) runs the Fortran AS R94 in single precision; scipy >= 1.11 runs
a double-precision translation. Both implement Royston's algorithm, so our double-precision code
is held to 1e-5 against the first and 1e-10 against the second (shapiro.test.ts). Samples are
rounded to 8 significant digits so the JSON is exact input for both sides.
"""
import json
import sys
import warnings

import numpy as np
import scipy
from scipy import stats

rng = np.random.default_rng(20250217)


def r(a):
    return [float(f"{x:.8g}") for x in np.asarray(a, dtype=float)]


def case(name, x):
    x = r(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = stats.shapiro(x)
    return {"name": name, "x": x, "w": float(res.statistic), "p": float(res.pvalue)}


cases = [
    case("n3", [1.0, 2.5, 2.7]),
    case("n3-equal-gaps", [1.0, 2.0, 3.0]),
    case("n4", rng.normal(size=4)),
    case("n5", rng.normal(size=5)),
    case("n6", rng.normal(size=6)),
    case("n7-exponential", rng.exponential(size=7)),
    case("n11", rng.normal(size=11)),
    case("n12", rng.normal(size=12)),
    case("n20-uniform", rng.uniform(size=20)),
    case("n30-lognormal", rng.lognormal(size=30)),
    case("n50-normal", rng.normal(10, 3, size=50)),
    case("n100-normal", rng.normal(size=100)),
    case("n100-t3", rng.standard_t(3, size=100)),
    case("n150-bimodal", np.concatenate([rng.normal(0, 1, 75), rng.normal(4, 1, 75)])),
    case("n200-ties", rng.integers(0, 10, size=200)),
    case("n257-gamma", rng.gamma(2.0, size=257)),
    case("n500-normal", rng.normal(size=500)),
    case("n500-spike", np.concatenate([np.full(400, 0.3) + rng.normal(0, 1e-3, 400), rng.exponential(size=100)])),
    case("n1000-weibull", rng.weibull(1.5, size=1000)),
    case("n2000-normal", rng.normal(size=2000)),
    case("n5000-normal", rng.normal(size=5000)),
]

json.dump({"generator": "src/shield/vectors/generate.py", "scipy": scipy.__version__, "numpy": np.__version__, "cases": cases}, sys.stdout)
sys.stdout.write("\n")
