"""The docstring examples of the spinal engine's public modules run and stay true."""

import doctest
import importlib

import pytest


@pytest.mark.parametrize("mod", ["afferents", "circuit", "params"])
def test_spinal_docstring_examples(mod):
    m = importlib.import_module(f"ketasim.spinal.{mod}")
    res = doctest.testmod(m, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0
