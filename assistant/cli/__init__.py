"""The ``mixchat`` command line (``main``), its terminal output (``console``, ``reports``) and
the demo tour (``tour``).

May import: every other package of ``mixchat.assistant``.
"""
