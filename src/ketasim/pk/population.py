"""Virtual patients and inter-individual variability, all drawn from one seed.

Covariates. Sex ~ Bernoulli(p_female); age ~ uniform on ``age_range``; height ~ normal by
sex (US adults 2015-2018: men 175.4 cm, women 161.7 cm; SD ~7.5 / 7.0 cm; fryar2021);
BMI ~ log-normal by sex with medians 28.5 (men) / 28.7 (women) kg/m^2 and log-SD 0.19
(our fit to the fryar2021 means and percentiles), truncated to ``bmi_range`` by re-drawing
(not clipping). Weight = BMI x height^2, so weight and height are correlated as in people.
The draws use one `numpy.random.SeedSequence`; covariates and parameter deviations come
from separate child streams, so the same seed and N give the same population whatever
model is simulated on it.

Parameters. Each model's typical parameters are multiplied by ``exp(eta)``,
``eta ~ N(0, Omega)`` with the model's published variances (``ModelSpec.omega_source``
says which are published and which are our 30 % CV estimate).
"""

from __future__ import annotations

import numpy as np

from ketasim.core.errors import InputError
from ketasim.pk.models.base import Covariates, ModelSpec

# fryar2021 (US adults 20+ y): mean height, SD (cm); BMI median (our log-normal fit)
HEIGHT = {0: (175.4, 7.5), 1: (161.7, 7.0)}
BMI_MEDIAN = {0: 28.5, 1: 28.7}
BMI_LOGSD = 0.19


def _streams(seed: int | np.random.SeedSequence | None):
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    cov_ss, eta_ss = ss.spawn(2)
    return np.random.default_rng(cov_ss), np.random.default_rng(eta_ss), ss


def virtual_patients(n: int, seed: int | None = 0, *, age_range=(18.0, 80.0),
                     p_female: float = 0.5, bmi_range=(18.5, 40.0)) -> Covariates:
    """Draw ``n`` physiologically plausible adults.

    Examples
    --------
    >>> c = virtual_patients(1000, seed=1)
    >>> bool(18.5 <= c.bmi.min() and c.bmi.max() <= 40.0)
    True
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise InputError("n", n, "an integer >= 1")
    if not 0 <= p_female <= 1:
        raise InputError("p_female", p_female, "a probability in [0, 1]")
    lo, hi = age_range
    if not 0 <= lo <= hi <= 110:
        raise InputError("age_range", age_range, "0 <= low <= high <= 110 years")
    if not 12 <= bmi_range[0] < bmi_range[1] <= 70:
        raise InputError("bmi_range", bmi_range, "12 <= low < high <= 70 kg/m^2")
    rng, _, _ = _streams(seed)
    sex = (rng.random(n) < p_female).astype(float)
    age = rng.uniform(lo, hi, n)
    mu_h = np.where(sex == 0, HEIGHT[0][0], HEIGHT[1][0])
    sd_h = np.where(sex == 0, HEIGHT[0][1], HEIGHT[1][1])
    height = np.clip(rng.normal(mu_h, sd_h), 140, 210)  # +-4.5 SD: a numeric guard only
    med = np.where(sex == 0, BMI_MEDIAN[0], BMI_MEDIAN[1])
    bmi = med * np.exp(BMI_LOGSD * rng.standard_normal(n))
    bad = (bmi < bmi_range[0]) | (bmi > bmi_range[1])
    while np.any(bad):  # truncation by rejection, not clipping
        bmi[bad] = med[bad] * np.exp(BMI_LOGSD * rng.standard_normal(int(bad.sum())))
        bad = (bmi < bmi_range[0]) | (bmi > bmi_range[1])
    weight = bmi * (height / 100) ** 2
    return Covariates(weight, age, height, sex)


def sample_etas(spec: ModelSpec, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Log-normal deviations ``eta`` for the parameters with an omega in ``spec``."""
    names = list(spec.omega)
    if not names:
        return {}
    sd = np.sqrt([spec.omega[k] for k in names])
    corr = np.eye(len(names))
    for (a, b), rho in spec.omega_corr.items():
        i, j = names.index(a), names.index(b)
        corr[i, j] = corr[j, i] = rho
    cov = corr * np.outer(sd, sd)
    eta = rng.multivariate_normal(np.zeros(len(names)), cov, size=n, method="cholesky")
    return {k: eta[:, i] for i, k in enumerate(names)}


def apply_iiv(spec: ModelSpec, params: dict[str, np.ndarray], seed=None,
              rng: np.random.Generator | None = None) -> dict[str, np.ndarray]:
    """Individual parameters: typical x exp(eta) (eta from the seed's parameter stream).

    Examples
    --------
    >>> from ketasim.pk.models import get_model
    >>> m = get_model("propofol", "eleveld")
    >>> c = virtual_patients(5, seed=3)
    >>> p = apply_iiv(m, m.parameters(c), seed=3)
    >>> bool(p["CL"].std() > 0)
    True
    """
    if rng is None:
        _, rng, _ = _streams(seed)
    n = len(next(iter(params.values())))
    etas = sample_etas(spec, n, rng)
    out = dict(params)
    for k, e in etas.items():
        if k in out:
            out[k] = out[k] * np.exp(e)
    return out
