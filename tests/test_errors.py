"""BertkitError is one line whatever it quotes; its subclasses keep their own fields."""

import errno
from pathlib import Path

from bertkit.errors import BertkitError
from bertkit.files import WriteFailed


def test_a_quoted_line_break_stays_on_one_line():
    error = BertkitError("model.safetensors: cannot read (unknown variant `a\nb`\r)")
    assert str(error) == "model.safetensors: cannot read (unknown variant `a\\nb`\\r)"


def test_write_failed_is_still_an_os_error_with_its_fields():
    error = WriteFailed(Path("out/a\nb.txt"), OSError(errno.ENOSPC, "No space left on device"))
    assert isinstance(error, OSError) and error.errno == errno.ENOSPC
    assert "\n" not in str(error) and "No space left on device" in str(error)
