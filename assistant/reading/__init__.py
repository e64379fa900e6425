"""Reading a brief: text in, a structured reading out (what, where, which quality, which
direction, how much). Pure text work, no audio. ``reader.read_brief`` is the entry point;
``vocab`` and ``lexicon`` hold the words it knows.

May import: ``mixchat.dsp`` (types), ``mixchat.prompts`` (the lexicon data).
"""
