"""The docs build with warnings as errors, their internal links resolve, their doctests pass."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.docs
DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_docs_build_without_warnings_and_links_resolve(tmp_path):
    pytest.importorskip("sphinx")
    for builder in ("html", "linkcheck"):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "sphinx",
                "-n",
                "-W",
                "--keep-going",
                "-q",
                "-b",
                builder,
                "-d",
                str(tmp_path / "doctrees"),
                str(DOCS),
                str(tmp_path / builder),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, f"{builder} failed:\n{result.stdout}\n{result.stderr}"
    assert (tmp_path / "html" / "index.html").exists()


def test_user_guide_doctests_pass():
    # pytest's --doctest-modules reads Python files only; the user guide's
    # examples are run here, as a reader would type them.
    import doctest

    guide = DOCS / "user_guide" / "self_normalization.rst"
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testfile(str(guide), module_relative=False, optionflags=flags)
    assert result.attempted >= 20 and result.failed == 0
