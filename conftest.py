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

# The web explorer's Streamlit scripts run as pages, not as importable modules (their
# tests are tests/test_app_pages.py and tests/test_app_browser.py).
collect_ignore_glob = ["src/ketasim/app/main.py", "src/ketasim/app/views/*.py"]
