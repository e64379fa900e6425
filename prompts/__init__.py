"""mixchat.prompts: data the assistant reads, not code: the LLM prompts, the descriptor
lexicon, plugin knowledge and genre targets, each with its sources. Loaded with
``importlib.resources``; any layer may read it.
"""
