"""Exact propagation of linear kinetic schemes with piecewise-constant inputs (compiled).

Within a stretch of constant inputs a Markov scheme ``dx/dt = Q x`` (``Q[i, j]`` = rate
j -> i, columns summing to zero) is linear with constant coefficients, so its solution is
exact at every sample of a grid of step ``dt``:

* `expm` computes the one-sample propagator ``P = exp(Q dt)`` (scaling and squaring with a
  degree-14 Taylor polynomial; stable for any stiffness), and `propagate_sample` applies it;
* `spectral_segment` samples a long segment from the eigen-decomposition of the symmetrised
  generator, which detailed balance allows: cheaper than a 20x20 product per sample once
  the fast modes have died out.

The receptor layer's virtual clamp (`ketasim.receptors.clamp`) builds ``Q`` from a receptor
model and calls these kernels; nothing here knows about a particular receptor.

Examples
--------
>>> import numpy as np
>>> Q = np.array([[-1.0, 2.0], [1.0, -2.0]])          # A <-> B, 1 /ms and 2 /ms
>>> P = expm(Q * 0.5)
>>> x = np.array([1.0, 0.0]); y = np.empty(2); propagate_sample(P, x, y)
>>> bool(abs(x[1] - (1 - np.exp(-1.5)) / 3) < 1e-12)
True
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def expm(A):
    """exp(A) by scaling and squaring with a degree-14 Taylor polynomial (||A/2^s||_1 <= 0.25).

    Examples
    --------
    >>> import numpy as np
    >>> round(float(expm(np.array([[np.log(2.0)]]))[0, 0]), 12)
    2.0
    """
    n = A.shape[0]
    norm = 0.0
    for j in range(n):
        c = 0.0
        for i in range(n):
            c += abs(A[i, j])
        norm = max(norm, c)
    s = 0
    while norm > 0.25:
        norm *= 0.5
        s += 1
    B = A / (2.0 ** s)
    E = np.eye(n)
    T = np.eye(n)
    for k in range(1, 15):
        T = (T @ B) / k
        E += T
    for _ in range(s):
        E = E @ E
    return E


@njit(cache=True)
def propagate_sample(P, x, y):
    """``x <- P x`` in place (``y``: scratch of the same length), clipped at zero and
    renormalised to sum 1 (round-off only: the exact propagator conserves probability).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([0.5, 0.5]); propagate_sample(np.eye(2), x, np.empty(2)); x.tolist()
    [0.5, 0.5]
    """
    n = x.shape[0]
    tot = 0.0
    for i in range(n):
        acc = 0.0
        for j in range(n):
            acc += P[i, j] * x[j]
        if acc < 0.0:
            acc = 0.0
        y[i] = acc
        tot += acc
    for i in range(n):
        x[i] = y[i] / tot


@njit(cache=True)
def spectral_segment(x, Q, xeq, nsteps, dt, out_row, rec, t0):
    """Exact sampling of one constant segment via the symmetrised generator.

    Detailed balance makes S = D^-1 Q D (D = diag(sqrt(x_eq))) symmetric, with entries
    S_ij = sqrt(Q_ij Q_ji); then x(t) = D V exp(L t) V^T D^-1 x0. Each sample costs ~5 m flops
    (m active states; fewer as fast modes die out) instead of m^2 for a propagator
    product. Only used when every occupied state has a non-negligible equilibrium weight
    (else D^-1 x0 would lose precision: e.g. a washout with drug still trapped); returns
    False and leaves x untouched then.

    Parameters
    ----------
    x : float64[n] occupancies at the start; on success, those at the end (sum 1).
    Q : float64[n, n] generator (detailed balance must hold); xeq its equilibrium.
    nsteps, dt : number of samples and sampling interval.
    out_row : int64[n]: the output row each state adds to (-1: none).
    rec : float64[n_out, n_t]: samples ``t0 + 1 .. t0 + nsteps`` are written (clipped >= 0).

    Examples
    --------
    >>> import numpy as np
    >>> Q = np.array([[-1.0, 2.0], [1.0, -2.0]]); xeq = np.array([2 / 3, 1 / 3])
    >>> x = np.array([1.0, 0.0]); rec = np.zeros((1, 3))
    >>> spectral_segment(x, Q, xeq, 2, 0.5, np.array([-1, 0]), rec, 0)
    True
    >>> bool(abs(rec[0, 1] - (1 - np.exp(-1.5)) / 3) < 1e-12)
    True
    """
    n = x.shape[0]
    nout = rec.shape[0]
    idx = np.empty(n, np.int64)
    m = 0
    for i in range(n):
        if xeq[i] > 1e-10:
            idx[m] = i
            m += 1
        elif x[i] > 1e-14:
            return False
    S = np.zeros((m, m))
    for a in range(m):
        for b in range(m):
            if a == b:
                S[a, b] = Q[idx[a], idx[a]]
            else:
                S[a, b] = np.sqrt(Q[idx[a], idx[b]] * Q[idx[b], idx[a]])
    lam, V = np.linalg.eigh(S)
    d = np.empty(m)
    for a in range(m):
        d[a] = np.sqrt(xeq[idx[a]])
    coef = np.zeros(m)
    for j in range(m):
        acc = 0.0
        for a in range(m):
            acc += V[a, j] * x[idx[a]] / d[a]
        coef[j] = acc
    mu = np.exp(lam * dt)
    W = np.zeros((nout, m))  # projection of the modes on the output rows
    for a in range(m):
        row = out_row[idx[a]]
        if row >= 0:
            for j in range(m):
                W[row, j] += d[a] * V[a, j]
    # fused loop over samples: advance the modes still alive (fast modes, e.g. Mg2+
    # (un)block, decay to zero within a few samples and are dropped every 64 samples) and
    # project them on the outputs
    alive = np.empty(m, np.int64)
    Wa = np.empty((nout, m))
    ca = np.empty(m)
    mua = np.empty(m)
    o = np.empty(nout)
    k = 0
    while k < nsteps:
        ma = 0
        for j in range(m):
            if coef[j] != 0.0:
                alive[ma] = j
                ca[ma] = coef[j]
                mua[ma] = mu[j]
                for r in range(nout):
                    Wa[r, ma] = W[r, j]
                ma += 1
        kend = min(nsteps, k + 64)
        while k < kend:
            for r in range(nout):
                o[r] = 0.0
            for a in range(ma):
                c = ca[a] * mua[a]
                if abs(c) < 1e-200:  # decayed mode: flush to zero (denormals are very slow)
                    c = 0.0
                ca[a] = c
                for r in range(nout):
                    o[r] += Wa[r, a] * c
            row = t0 + 1 + k
            for r in range(nout):
                rec[r, row] = o[r] if o[r] > 0.0 else 0.0
            k += 1
        for a in range(ma):
            coef[alive[a]] = ca[a]
    for i in range(n):
        x[i] = 0.0
    tot = 0.0
    for a in range(m):
        acc = 0.0
        for j in range(m):
            acc += V[a, j] * coef[j]
        v = d[a] * acc
        if v < 0.0:
            v = 0.0
        x[idx[a]] = v
        tot += v
    for i in range(n):
        x[i] /= tot
    return True
