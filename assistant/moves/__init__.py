"""The offline planner (``planner.OfflinePlanner``, the embedded default) and the moves it
chooses from a brief's reading and the analysis of the current mix: tone, level, masking,
space, dynamics, engineering-term parameters and follow-ups.

May import: ``reading``, ``planning``, ``knowledge``, ``mixchat.tools``, ``mixchat.dsp``.
"""
