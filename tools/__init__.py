"""mixchat.tools: the typed mix operations and what keeps their results.

The tool registry and its derived schemas (``base``, ``catalog``, ``track_tools``,
``bus_tools``), the render engine over a session (``engine``), the versioned session store
(``session``, ``atomic``, ``workspace``), the automix (``automix*``), genre targets and the
DAW exports (``export``). It imports ``mixchat.dsp`` and reads ``mixchat.prompts``, never
``mixchat.assistant``.
"""
