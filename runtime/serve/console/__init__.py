"""The web console ``asl serve`` answers at ``/``: static assets and the ``AslConsole.*`` read
actions it calls (see docs/console.md)."""
