"""ketasim: a mechanistic, multi-scale simulator of ketamine in pain management.

Dose in, effect out: plasma concentration -> receptors -> spinal neurons -> plasticity ->
brain -> what a patient would report, for one patient or a virtual population.

The layers are subpackages with curated public faces (``__all__``): `ketasim.pk`,
`ketasim.receptors`, `ketasim.spinal`, `ketasim.clinical`, `ketasim.scenarios`, and
`ketasim.core` (units, validation, caches, citations, provenance). This namespace holds the
layers and the entry points most users need.

Conventions (docs/CONVENTIONS.md): dimensions ``patient`` (pk, scenarios), ``condition``
(every mechanistic simulator), ``time`` with a ``units`` attribute (ms in receptors and
spinal, min in pk, h in slow models and scenarios), sweeps named for the swept quantity
(``ketamine_uM``); one spelling per quantity with the unit as suffix (``ketamine_uM``,
``voltage_mV``, ``weight_kg``); numbers in the suffix unit or quantities (``"0.3 uM"``) at
every public edge; specs are frozen and validated when built; one `Record` says what a
simulator keeps; bad input raises a `KetasimError` naming the field, the value and what is
allowed; every result carries its complete inputs and citations (``attrs``).

Examples
--------
>>> import ketasim
>>> ds = ketasim.simulate_spinal(ketasim.spinal.shock(), ketasim.spinal.Condition(),
...                             record=ketasim.Record(every="1 ms", variables=("v",)))
>>> ds.v.dims, ds.time.attrs["units"], float(ds.ketamine_uM[0])
(('condition', 'time'), 'ms', 0.0)
"""

from ketasim.core.cache import install_kernel_locator

install_kernel_locator()  # before any module with compiled kernels is imported

from ketasim import clinical, core, pk, receptors, scenarios, spinal  # noqa: E402
from ketasim.core import (  # noqa: E402
    InputError,
    KetasimError,
    NumericalError,
    UnitError,
    UnknownNameError,
    ValidityRangeError,
    WorkLimitError,
    cite,
)
from ketasim.core.record import Record  # noqa: E402
from ketasim.pk import free_concentration_umol, virtual_patients  # noqa: E402
from ketasim.pk import simulate as simulate_pk  # noqa: E402
from ketasim.receptors import NMDAParams  # noqa: E402
from ketasim.receptors.clamp import Segment, clamp_nmda, nmda_dose_response  # noqa: E402
from ketasim.scenarios import Scenario, simulate  # noqa: E402
from ketasim.spinal import simulate as simulate_spinal  # noqa: E402

__all__ = [
    "clinical", "core", "pk", "receptors", "scenarios", "spinal",
    "InputError", "KetasimError", "NumericalError", "UnitError", "UnknownNameError",
    "ValidityRangeError", "WorkLimitError", "cite", "Record",
    "simulate_pk", "virtual_patients", "free_concentration_umol",
    "NMDAParams", "Segment", "clamp_nmda", "nmda_dose_response",
    "simulate_spinal", "Scenario", "simulate",
]
__version__ = "0.1.0"
