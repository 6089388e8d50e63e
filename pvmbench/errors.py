"""The one error type for user mistakes: the CLI prints its message as one line, no traceback."""


class UserError(Exception):
    """Bad input from a user: a value, a file or a directory. The message names it and what is accepted."""
