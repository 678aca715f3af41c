"""The docstring examples of the receptor layer run and stay true."""

import doctest
import importlib

import pytest


@pytest.mark.parametrize("mod", ["nmda", "ampa", "gabaa", "opioid", "transporters", "clamp",
                                 "calibrate", "kinetics", "_edges", ""])
def test_receptor_docstring_examples(mod):
    m = importlib.import_module(f"ketasim.receptors.{mod}" if mod else "ketasim.receptors")
    res = doctest.testmod(m, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0
