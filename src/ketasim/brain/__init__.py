"""The brain layer: cortical network, signal measures and clinical readouts."""
