"""mixchat.assistant: everything between the producer and the tools.

Its packages, lowest first. Each may import the ones before it (and ``mixchat.tools``,
``mixchat.dsp``, ``mixchat.prompts``), never one after it; ``tests/test_layers.py`` checks.

* ``reading``    a brief's words → what it asks for (the frame), the descriptor lexicon
* ``planning``   the contract every planner shares: what it sees, what it returns, its errors
* ``knowledge``  plugin questions, the plugin knowledge base, screenshot reading and review
* ``moves``      the offline planner: moves chosen from the reading and the analysis
* ``llm``        the LLM planner, its prompt and errors, LLM answers, choosing the planner
* ``inspection`` ``analyze`` and ``feedback``: measuring stems, sessions and mixes; plots
* ``turn``       one turn: context → plan → tool calls → measured, explained version (reply)
* ``demo``       the synthesised demo song
* ``tui``        the terminal chat UI (Textual)
* ``batch``      ``mixchat batch``: a catalogue of songs made on a Ray cluster
* ``mcp``        the MCP server: the assistant as tools, resources and prompts for AI clients
* ``cli``        the ``mixchat`` command line and its terminal output
"""
