"""Model exchange: ketasim models written in the field's formats.

`ketasim.exchange.nmodl` exports the spinal WDR circuit (channels, synapses, the 20-state
NMDA receptor with Mg2+ and ketamine block) as NMODL for NEURON. Submodules are imported
lazily (``from ketasim.exchange.nmodl import export_nmodl``), so that importing the package
costs nothing.
"""
