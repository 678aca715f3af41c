"""The engine's speed-ups change no number: the receptor kernel split into a factorisation
and a solve (shared by the WDR dendrite's synapses), and the engine's helpers.

Expected values: the dense backward-Euler step ``solve(I - dt Q, x)`` of the receptor layer's
own rate matrix (`nmda_fill_rate_matrix`), and bit equality where the same operations run.
"""

import numpy as np
import pytest

from ketasim.receptors.nmda import (
    nmda_factor_ws,
    nmda_fill_rate_matrix,
    nmda_params_array,
    nmda_solve_ws,
    nmda_step_ws,
    nmda_workspace,
)
from ketasim.spinal.layout import N_CH, N_SYN
from ketasim.spinal.synapses import active_synapses

CASES = [(0.1, -65.0, 0.0, 1.0, 0.0, 0.0), (0.1, -40.0, 1000.0, 1.0, 3.0, 0.5),
         (0.025, 20.0, 250.0, 2.0, 30.0, 0.0), (0.05, -90.0, 5.0, 0.0, 0.3, 1.0)]


@pytest.mark.parametrize("args", CASES)
def test_shared_factorisation_is_bit_identical(args):
    """One factorisation solved for two state vectors = two full steps, bit for bit (the
    engine shares it between the WDR dendrite's synapses with the same glutamate)."""
    p = nmda_params_array()
    rng = np.random.default_rng(7)
    xs = [rng.random(20) for _ in range(2)]
    xs = [x / x.sum() for x in xs]
    ref = [x.copy() for x in xs]
    for x in ref:
        nmda_step_ws(x, *args, p, nmda_workspace())
    ws = nmda_workspace()
    nmda_factor_ws(*args, p, ws)
    for x in xs:
        nmda_solve_ws(x, ws)
    for a, b in zip(xs, ref, strict=True):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("args", CASES)
def test_factor_solve_is_backward_euler(args):
    """Agrees with the dense backward-Euler step of the rate matrix (to 1e-12)."""
    dt, v, glu, mg, ket, nk = args
    p = nmda_params_array()
    x = np.random.default_rng(3).random(20)
    x /= x.sum()
    Q = np.zeros((20, 20))
    nmda_fill_rate_matrix(Q, v, glu, mg, ket, nk, p)
    want = np.linalg.solve(np.eye(20) - dt * Q, x)
    ws = nmda_workspace()
    nmda_factor_ws(dt, v, glu, mg, ket, nk, p, ws)
    nmda_solve_ws(x, ws)
    assert np.allclose(x, want, rtol=0, atol=1e-12)
    assert abs(x.sum() - 1.0) < 1e-12


def test_active_synapses_lists_the_nonzero_weights():
    """`decay` advances exactly the synapse types with a non-zero weight."""
    w = np.zeros((N_CH, N_SYN))
    w[1, [0, 1, 7]] = (1.0, 2.0, 0.5)
    w[6, 4] = 3.0
    n, s = active_synapses(w)
    assert n.tolist() == [0, 3, 0, 0, 0, 0, 1, 0]
    assert s[1, :3].tolist() == [0, 1, 7] and s[6, 0] == 4


@pytest.mark.parametrize("args", CASES)
@pytest.mark.parametrize("absent", [(1,), (2,), (1, 2), (0, 1, 2)])
def test_skipped_absent_arms_change_no_bit(args, absent):
    """An arm with zero concentration and zero occupancy left out of the kernel (``skip``)
    gives the same bits as the full step, over 200 steps (its states stay exactly 0)."""
    dt, v, glu, mg, ket, nk = args
    conc = [mg, ket, nk]
    for b in absent:
        conc[b] = 0.0
    p = nmda_params_array()
    x = np.random.default_rng(11).random(20)
    for b in absent:
        x[5 * (b + 1): 5 * (b + 2)] = 0.0
    x /= x.sum()
    y = x.copy()
    skip = sum(1 << b for b in absent)
    ws, wt = nmda_workspace(), nmda_workspace()
    for k in range(200):
        g = glu if k < 20 else 0.0
        nmda_step_ws(x, dt, v, g, *conc, p, ws)
        nmda_step_ws(y, dt, v, g, *conc, p, wt, skip)
        assert np.array_equal(x, y)
    for b in absent:
        assert not y[5 * (b + 1): 5 * (b + 2)].any()


def test_decay_flushes_traces_before_the_subnormal_range():
    """A decaying trace is set to exactly 0 below TINY (subnormal floats are ~100x slower),
    and is untouched above it."""
    from ketasim.spinal.synapses import TINY, decay

    w = np.zeros((N_CH, N_SYN))
    w[0, 0] = 1.0
    n, s = active_synapses(w)
    sa, sb = np.zeros((N_CH, N_SYN)), np.zeros((N_CH, N_SYN))
    sa[0, 0], sb[0, 0] = 1.0, 1.0
    fa, fb = np.full(N_SYN, 0.5), np.full(N_SYN, 0.9)
    steps = 0
    while sa[0, 0] != 0.0:
        prev = sa[0, 0]
        decay(0, n, s, sa, sb, fa, fb)
        steps += 1
        assert sa[0, 0] == (prev * 0.5 if prev * 0.5 > TINY else 0.0)
    assert steps == int(np.ceil(-np.log2(TINY)))  # 0.5^k falls below 1e-200 at k = 665
    assert sb[0, 0] == pytest.approx(0.9**steps, rel=1e-12)
    assert np.all((sa == 0) | (np.abs(sa) > TINY)) and np.finfo(float).tiny < TINY
