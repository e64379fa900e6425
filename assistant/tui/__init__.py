"""The terminal chat UI (`mixchat chat`), built with Textual: see :func:`assistant.tui.app.run_chat`."""
