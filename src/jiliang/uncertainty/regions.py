"""Coverage regions for several outputs (JCGM 102:2011 §6.5, §7.7).

A hyperellipsoidal coverage region {η : (η − y)ᵀ U_y⁻¹ (η − y) ≤ k_p²}:

* GUM (§6.5.2): k_p² is the p-quantile of χ² with m degrees of freedom (m outputs);
* Monte Carlo (§7.7.2): k_p² is the p-quantile of the values (y_r − ỹ)ᵀ U_ỹ⁻¹ (y_r − ỹ) of the
  model values y_r, with ỹ and U_ỹ from the Monte Carlo.

For plotting and reporting, every pair of outputs also gets the ellipse of its two-dimensional
marginal (semi-axes and the angle of the first axis to the first output's axis), with k² the χ²₂
quantile for the GUM and, for the Monte Carlo, k from the pair's own values as in §7.7.2.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["CoverageRegion", "Ellipse", "coverage_region"]


@dataclass(frozen=True, slots=True)
class Ellipse:
    """The p coverage ellipse of two outputs: centre, semi-axes, angle (degrees), factor k."""

    outputs: tuple[str, str]
    center: tuple[float, float]
    semi_axes: tuple[float, float]
    angle: float
    k: float


@dataclass(frozen=True, slots=True)
class CoverageRegion:
    """Hyperellipsoidal coverage region: centre y, covariance U_y, factor k_p (NaN if U_y is
    singular), and the ellipses of the pairs of outputs."""

    method: str
    outputs: tuple[str, ...]
    center: tuple[float, ...]
    covariance: tuple[tuple[float, ...], ...]
    p: float
    k_p: float
    ellipses: tuple[Ellipse, ...]


def _k_from_samples(
    samples: npt.NDArray[np.float64], center: npt.NDArray[np.float64], cov: npt.NDArray[np.float64], p: float
) -> float:
    """k_p of JCGM 102 §7.7.2: the p-quantile of the Mahalanobis distances of the model values."""
    dev = samples - center[:, None]
    d2 = np.einsum("ij,ij->j", dev, np.linalg.solve(cov, dev))
    idx = min(math.ceil(p * d2.size), d2.size) - 1
    return math.sqrt(float(np.partition(d2, idx)[idx]))


def coverage_region(
    method: str,
    names: Sequence[str],
    center: Sequence[float],
    covariance: Sequence[Sequence[float]],
    p: float,
    samples: npt.NDArray[np.float64] | None = None,
) -> CoverageRegion | None:
    """The coverage region, or ``None`` for one output.

    With a singular covariance matrix (outputs functionally dependent, e.g. GUM H.2 where Z² = R² + X²
    to first order) ``k_p`` is NaN and only the ellipses of non-degenerate pairs are given.
    """
    from scipy.stats import chi2

    m = len(names)
    cov = np.asarray(covariance, dtype=float)
    if m < 2:
        return None
    y = np.asarray(center, dtype=float)
    if np.linalg.matrix_rank(cov) < m:
        k_p = math.nan  # degenerate (outputs functionally dependent): only the pair ellipses
    elif samples is not None and samples.shape[1] >= 10_000:
        k_p = _k_from_samples(samples, y, cov, p)
    else:
        k_p = math.sqrt(float(chi2.ppf(p, m)))
    use_samples = samples is not None and samples.shape[1] >= 10_000
    ellipses = []
    for i in range(m):
        for j in range(i + 1, m):
            sub = cov[np.ix_([i, j], [i, j])]
            if np.linalg.matrix_rank(sub) < 2:
                continue
            if use_samples:
                assert samples is not None
                k2 = _k_from_samples(samples[[i, j]], y[[i, j]], sub, p)
            else:
                k2 = math.sqrt(float(chi2.ppf(p, 2)))
            w, v = np.linalg.eigh(sub)
            order = np.argsort(w)[::-1]
            w, v = w[order], v[:, order]
            angle = math.degrees(math.atan2(v[1, 0], v[0, 0]))
            ellipses.append(
                Ellipse(
                    (names[i], names[j]),
                    (float(y[i]), float(y[j])),
                    (k2 * math.sqrt(max(w[0], 0.0)), k2 * math.sqrt(max(w[1], 0.0))),
                    angle,
                    k2,
                )
            )
    return CoverageRegion(
        method,
        tuple(names),
        tuple(float(v) for v in y),
        tuple(tuple(float(v) for v in row) for row in cov),
        p,
        k_p,
        tuple(ellipses),
    )
