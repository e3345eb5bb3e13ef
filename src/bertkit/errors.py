"""The one exception type bertkit raises for bad input: its message is a single readable line.

The CLI prints it as `error: <message>` and exits with status 2 instead of showing a traceback.
"""


class BertkitError(Exception):
    """Bad input (a file, a field, a line) described in one line that names the culprit."""
