"""The contract both planners share: ``PlanContext`` (what a planner sees), ``Plan`` (what it
returns, with the typed ``measures`` its reply quotes), the ``Planner`` protocol and
``PlannerError``.

May import: ``mixchat.tools``, ``mixchat.dsp``.
"""
