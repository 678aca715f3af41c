"""Exact, batched solution of linear compartment systems with piecewise-constant input.

Between two consecutive *breakpoints* (output times, bolus times, infusion starts and ends)
the system ``dx/dt = A x + b r`` has a constant zero-order input rate ``r``. Its exact
solution over a step ``dt`` is ``x(t+dt) = Phi x(t) + Gamma r`` with

    expm([[A, b], [0, 0]] * dt) = [[Phi, Gamma], [0, 1]]

(the augmented-matrix form of Van Loan, so no inverse of ``A`` is needed and singular ``A``
such as a pure effect-site chain is fine). Boluses are jumps of the state at their time.
There is no time step: the answer at a requested time does not depend on which other
times are requested (tested). Matrices are computed once per *distinct* step length and
patient (scipy's batched ``expm``); the propagation is one compiled loop (numba).

Units inside: amounts in mg (concentration states in mg/L), time in min, rates in mg/min.
"""

from __future__ import annotations

import numba
import numpy as np
from scipy.linalg import expm
from threadpoolctl import threadpool_limits

from ketasim.core.errors import InputError, NumericalError

#: Relative tolerance under which two step lengths share one matrix exponential.
_DT_DECIMALS = 9


def transition_matrices(A: np.ndarray, b: np.ndarray, dts: np.ndarray):
    """Exact one-step transition for each step length and patient.

    Parameters
    ----------
    A : (N, n, n) system matrices (1/min).
    b : (N, n) input vector of a unit zero-order rate.
    dts : (U,) distinct step lengths (min), >= 0.

    Returns
    -------
    Phi : (U, N, n, n) and Gamma : (U, N, n).

    Examples
    --------
    >>> A = np.array([[[-0.1]]]); b = np.array([[1.0]])
    >>> Phi, Gam = transition_matrices(A, b, np.array([10.0]))
    >>> round(float(Phi[0, 0, 0, 0]), 6), round(float(Gam[0, 0, 0]), 4)
    (0.367879, 6.3212)
    """
    N, n, _ = A.shape
    aug = np.zeros((N, n + 1, n + 1))
    aug[:, :n, :n] = A
    aug[:, :n, n] = b
    U = len(dts)
    Phi = np.empty((U, N, n, n))
    Gam = np.empty((U, N, n))
    # the matrices are tiny (< 10 x 10): a multithreaded BLAS only adds overhead, ~1000x on
    # a busy machine (27 ms vs 0.02 ms per expm measured), so it runs single-threaded here
    with threadpool_limits(1, user_api="blas"):
        for u, dt in enumerate(dts):
            if dt == 0.0:
                Phi[u] = np.eye(n)
                Gam[u] = 0.0
                continue
            E = expm(aug * dt)
            Phi[u] = E[:, :n, :n]
            Gam[u] = E[:, :n, n]
    return Phi, Gam


@numba.njit(cache=True, parallel=True, fastmath=True)
def _propagate(Phi, Gam, step_u, step_rate_w, inf_rates, bolus_k, bolus_state, bolus_amt,
               out_k, c_idx, c_w, out):  # pragma: no cover - compiled
    """Propagate every patient through all steps, writing outputs at output breakpoints.

    step_u[k]: index of the matrix used for step k (breakpoint k -> k+1).
    step_rate_w[k, i]: 1 if infusion i runs during step k.
    inf_rates[i, p]: rate of infusion i for patient p (mg/min).
    bolus_k[e], bolus_state[e], bolus_amt[e, p]: jumps at breakpoint bolus_k[e].
    out_k[k]: output index written at breakpoint k (after its boluses), or -1.
    Output o is sum_m c_w[p, o, m] * x[c_idx[o, m]] (the sparse rows of C).
    """
    U, N, n, _ = Phi.shape
    K = step_u.shape[0] + 1
    E = bolus_k.shape[0]
    n_inf = inf_rates.shape[0]
    n_out, n_nz = c_idx.shape
    for p in numba.prange(N):
        x = np.zeros(n)
        y = np.zeros(n)
        P = np.empty((U, n, n))  # this patient's matrices, contiguous and local
        G = np.empty((U, n))
        for u in range(U):
            for a in range(n):
                G[u, a] = Gam[u, p, a]
                for c in range(n):
                    P[u, a, c] = Phi[u, p, a, c]
        e = 0
        for k in range(K):
            while e < E and bolus_k[e] == k:
                x[bolus_state[e]] += bolus_amt[e, p]
                e += 1
            j = out_k[k]
            if j >= 0:
                for o in range(n_out):
                    s = 0.0
                    for m in range(n_nz):
                        s += c_w[p, o, m] * x[c_idx[o, m]]
                    out[p, o, j] = s
            if k == K - 1:
                break
            u = step_u[k]
            r = 0.0
            for i in range(n_inf):
                if step_rate_w[k, i]:
                    r += inf_rates[i, p]
            for a in range(n):
                s = G[u, a] * r
                for c in range(n):
                    s += P[u, a, c] * x[c]
                y[a] = s
            for a in range(n):
                x[a] = y[a]


def _sparse_rows(C: np.ndarray):
    """Column indices (shared by all patients) and weights of the nonzeros of C's rows."""
    nz = np.any(C != 0, axis=0)  # (n_out, n)
    width = max(int(nz.sum(axis=1).max()), 1)
    idx = np.zeros((C.shape[1], width), dtype=np.int64)
    w = np.zeros((C.shape[0], C.shape[1], width))
    for o in range(C.shape[1]):
        cols = np.flatnonzero(nz[o])
        idx[o, :len(cols)] = cols
        w[:, o, :len(cols)] = C[:, o, cols]
    return idx, w


def solve_linear(A, b, C, times, boluses=(), infusions=(), dtype=np.float64):
    """Outputs ``C x(t)`` of ``dx/dt = A x + b r(t)`` plus jumps, from ``x(0) = 0``.

    Parameters
    ----------
    A : (N, n, n) system matrices; b : (N, n) unit-rate input vector (infusions enter here).
    C : (N, n_out, n) output maps.
    times : (T,) output times (min), >= 0, any order, need not be evenly spaced.
    boluses : iterable of ``(time, state_index, amounts (N,))``; a bolus at an output time
        is included in that output (right-continuous convention).
    infusions : iterable of ``(start, end, rates (N,))`` in mg/min, entering through ``b``.

    Returns
    -------
    (N, n_out, T) array.

    Examples
    --------
    >>> A = np.array([[[-0.1]]]); b = np.array([[1.0]]); C = np.array([[[1.0]]])
    >>> y = solve_linear(A, b, C, [0.0, 10.0], boluses=[(0.0, 0, np.array([1.0]))])
    >>> np.round(y[0, 0], 6).tolist()
    [1.0, 0.367879]
    """
    A = np.ascontiguousarray(A, dtype=float)
    N, n, _ = A.shape
    times = np.asarray(times, dtype=float)
    if times.ndim != 1 or len(times) == 0:
        raise InputError("times", times, "a non-empty 1-D sequence of times in min")
    if not np.all(np.isfinite(times)) or np.any(times < 0):
        raise InputError("times", times.tolist()[:5], "finite times >= 0 min")
    bol = list(boluses)
    inf = list(infusions)
    marks = [0.0, *times.tolist(), *(t for t, _, _ in bol)]
    for t0, t1, _ in inf:
        marks += [t0, t1]
    bp = np.unique(np.round(np.asarray(marks, dtype=float), 12))
    K = len(bp)
    idx = {v: i for i, v in enumerate(bp)}

    def at(t):
        return idx[float(np.round(t, 12))]

    steps = np.diff(bp)
    rounded = np.round(steps, _DT_DECIMALS)
    dts, step_u = np.unique(rounded, return_inverse=True)
    Phi, Gam = transition_matrices(A, np.asarray(b, float), dts)

    n_inf = max(len(inf), 1)
    w = np.zeros((max(K - 1, 1), n_inf), dtype=np.bool_)
    rates = np.zeros((n_inf, N))
    for i, (t0, t1, r) in enumerate(inf):
        w[at(t0):at(t1), i] = True
        rates[i] = r
    order = sorted(range(len(bol)), key=lambda e: bol[e][0])
    bk = np.array([at(bol[e][0]) for e in order], dtype=np.int64)
    bs = np.array([bol[e][1] for e in order], dtype=np.int64)
    ba = np.zeros((len(order), N))
    for j, e in enumerate(order):
        ba[j] = bol[e][2]
    uniq_t, inv = np.unique(np.round(times, 12), return_inverse=True)
    out_k = np.full(K, -1, dtype=np.int64)
    for j, t in enumerate(uniq_t):
        out_k[at(t)] = j
    C = np.ascontiguousarray(C, dtype=float)
    out = np.empty((N, C.shape[1], len(uniq_t)), dtype=dtype)
    c_idx, c_w = _sparse_rows(C)
    _propagate(Phi, Gam, step_u.astype(np.int64).reshape(-1)[: K - 1], w, rates, bk, bs, ba,
               out_k, c_idx, c_w, out)
    if not np.all(np.isfinite(out)):
        raise NumericalError("the PK solution contains non-finite values; check the "
                             "model parameters (volumes > 0, rate constants >= 0)")
    if len(uniq_t) == len(times) and np.all(inv == np.arange(len(times))):
        return out  # already sorted and unique: no copy of a possibly large array
    return out[:, :, inv]
