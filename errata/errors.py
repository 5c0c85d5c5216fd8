"""The one exception type the CLI turns into a clean message instead of a traceback."""


class ErrataError(Exception):
    """A problem with the user's inputs or environment, with a message that says how to fix it."""
