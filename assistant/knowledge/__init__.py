"""Knowledge beyond the mix state: plugin-parameter questions (``ask``), the plugin knowledge
base (``plugins``, from ``prompts/plugins.json``), and plugin screenshots (``screenshot``
reads one with OCR, ``screenshot_review`` comments on its settings).

May import: ``reading``, ``planning``, ``mixchat.tools``, ``mixchat.dsp``.
"""
