"""Root conftest: the namespace of every docstring example (``--doctest-modules``).

Like xarray's root conftest: examples may use ``np``, ``xr`` and ``ketasim`` without
importing them.
"""

import numpy
import pytest
import xarray

import ketasim


@pytest.fixture(autouse=True)
def add_standard_imports(doctest_namespace):
    doctest_namespace["np"] = numpy
    doctest_namespace["xr"] = xarray
    doctest_namespace["ketasim"] = ketasim
