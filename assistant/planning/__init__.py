"""The contract both planners share: ``PlanContext`` (what a planner sees), ``Plan`` (what it
returns), the ``Planner`` protocol and ``PlannerError``.

May import: ``mixchat.tools``, ``mixchat.dsp``.
"""
