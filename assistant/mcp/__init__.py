"""The whole assistant as an MCP server (``mixchat mcp``), on the official ``mcp`` SDK's
``MCPServer`` (FastMCP's successor): the command line's actions as typed tools (``tools``,
``calls``), a session's versions, reports and plots as resources (``resources``), the common
flows as prompts (``prompts``). Every path a call names goes through ``paths.PathPolicy``;
resources reach only the sessions this server opened (``sessions``).

May import: ``reading`` to ``turn``, ``mixchat.tools``, ``mixchat.dsp``; never ``tui`` or ``cli``.
"""
