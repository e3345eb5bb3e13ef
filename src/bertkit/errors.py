"""The one exception type bertkit raises for bad input: its message is a single readable line.

The CLI prints it as `error: <message>` and exits with status 2 instead of showing a traceback.
"""


class BertkitError(Exception):
    """Bad input (a file, a field, a line) described in one line that names the culprit."""

    def __init__(self, *args: object):
        # Messages quote what they read (a file's text, a parser's complaint about it): a line
        # break in there would split the one line, so it is shown escaped.
        if len(args) == 1 and isinstance(args[0], str):
            args = (one_line(args[0]),)
        super().__init__(*args)


def one_line(message: str) -> str:
    """`message` with its line breaks shown as \\r and \\n."""
    return message.replace("\r", "\\r").replace("\n", "\\n")
