"""One turn of the conversation: ``conversation.handle_brief`` builds the planner's context
(``context``), applies its plan, measures before and after (``measures``), writes the reply
(``reply``) and commits the version. Session actions besides briefs (automix, roles, questions,
screenshots, reverts) are in ``actions``; rendering, A/B, mastering and exports in
``comparison``; a session told as data (summary, versions, diff) in ``summaries``, and strict
JSON for printing and sending in ``jsonable``.

May import: every package before it (``reading`` to ``inspection``), ``mixchat.tools``, ``mixchat.dsp``.
"""
