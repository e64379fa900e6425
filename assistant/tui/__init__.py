"""The terminal chat UI (``mixchat chat``), built with Textual: see ``app.run_chat``. Widgets
post typed messages, slow work runs in workers, styles live in ``mixchat.tcss``.

May import: ``reading`` to ``turn`` and ``demo``, ``mixchat.tools``, ``mixchat.dsp``; never ``cli``.
"""
