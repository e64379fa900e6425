"""Measuring material without changing it: ``analyze`` (stems folder, session or audio file),
``feedback`` and its ``checks`` (the Mix-Check-style report), and ``plots``.

May import: ``reading``, ``planning``, ``knowledge``, ``mixchat.tools``, ``mixchat.dsp``.
"""
