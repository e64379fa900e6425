"""mixchat.dsp: the engine. Pure and deterministic: loading and writing audio, BS.1770
metering, analysis (spectrum, dynamics, stereo, masking, roles, sections), the block-wise
cached render, true-peak limiting and mastering.

Audio is float32 shaped ``(channels, samples)``. It imports numpy, scipy, pedalboard and the
like, never ``mixchat.tools`` or ``mixchat.assistant``: no network, no model, no UI.
"""

import os

# The engine runs its own work in parallel (tracks, buses and meters on threads). BLAS
# threads on top of that only spin against them: on a busy two-core machine a small matrix
# product took 40x the CPU with OpenBLAS's threads. One BLAS thread, unless the user says
# otherwise (it has effect when this is imported before numpy, as the mixchat command does).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
