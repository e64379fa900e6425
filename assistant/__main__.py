"""`python -m mixchat.assistant` is the same as the `mixchat` command."""

from mixchat.assistant.cli.main import main

main()
