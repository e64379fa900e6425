"""`python -m assistant` is the same as the `mixchat` command."""

from assistant.cli import main

main()
