"""The LLM side: the LLM planner over any OpenAI-compatible server (LangChain + ``openai``),
its system prompt, error scrubbing (the key never leaves), LLM answers to questions and
screenshots, and ``choose.choose_planner`` (LLM when configured, else offline).

May import: ``reading``, ``planning``, ``knowledge``, ``moves``, ``mixchat.tools``, ``mixchat.dsp``.
"""
