"""mixchat.dsp: the engine. Pure and deterministic: loading and writing audio, BS.1770
metering, analysis (spectrum, dynamics, stereo, masking, roles, sections), the block-wise
cached render, true-peak limiting and mastering.

Audio is float32 shaped ``(channels, samples)``. It imports numpy, scipy, pedalboard and the
like, never ``mixchat.tools`` or ``mixchat.assistant``: no network, no model, no UI.
"""
