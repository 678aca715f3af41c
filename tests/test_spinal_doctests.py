"""The docstring examples of the spinal engine's public modules run and stay true."""

import doctest
import importlib

import pytest


@pytest.mark.parametrize("mod", ["ketasim.spinal", "ketasim.spinal.afferents",
                                 "ketasim.spinal.circuit", "ketasim.spinal.params",
                                 "ketasim.spinal.channels", "ketasim.spinal.synapses",
                                 "ketasim.experiments._spinal_common"])
def test_spinal_docstring_examples(mod):
    m = importlib.import_module(mod)
    res = doctest.testmod(m, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0
