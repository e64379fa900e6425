"""The demo song: eight dry stems synthesised with numpy/scipy (no samples, no network).

May import: ``mixchat.dsp``.
"""
