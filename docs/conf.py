"""Sphinx configuration of the sklearn-snn documentation.

Build it from the repository root, with warnings as errors and every internal
cross-reference checked (``-n``)::

    python -m sphinx -n -W --keep-going -b html docs docs/_build/html

``make -C docs html`` runs the same command; ``make -C docs linkcheck`` checks
the local file links.
"""

import shutil
from pathlib import Path

from sphinx.directives.other import TocTree
from sphinx.util import logging

import sklearn_snn

DOCS = Path(__file__).resolve().parent
REPO_ROOT = DOCS.parent

project = "sklearn-snn"
author = "sklearn-snn developers"
copyright = "sklearn-snn developers"
version = release = sklearn_snn.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
templates_path = ["_templates"]
exclude_patterns = ["_build"]
# The scikit-learn ecosystem's look (scikit-learn, imbalanced-learn): pages in the
# top bar, the section's pages on the left, the page's headings on the right.
html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-snn {release}"
html_theme_options = {
    "logo": {"text": "sklearn-snn"},
    "navbar_align": "left",
    "show_toc_level": 2,
    "header_links_before_dropdown": 4,
    "navigation_with_keys": False,
}
html_context = {"default_mode": "light"}

# -- API reference -----------------------------------------------------------
autosummary_generate = True
autodoc_typehints = "none"  # types live in the numpydoc sections
numpydoc_show_class_members = False  # the class template lists the members
numpydoc_attributes_as_param_list = True

# Names from other packages cannot be resolved without intersphinx, which needs
# the network; every name of our own must resolve.
EXTERNAL_PACKAGES = "sklearn|skorch|torch|numpy|scipy|pandas|matplotlib|dask|distributed|joblib"
nitpick_ignore_regex = [(r"py:.*", rf"({EXTERNAL_PACKAGES})(\..*)?")]

# -- Markdown pages written by others (scaling out, saving models, accuracy) -
myst_heading_anchors = 3

# -- Gallery -----------------------------------------------------------------
# sphinx-gallery wants a GALLERY_HEADER.rst beside the scripts. To keep
# examples/ a folder of plain scripts, the gallery's source is assembled under
# _build: the header plus a symbolic link to every example.
GALLERY_SOURCE = DOCS / "_build" / "gallery_source"
shutil.rmtree(GALLERY_SOURCE, ignore_errors=True)
GALLERY_SOURCE.mkdir(parents=True)
shutil.copyfile(DOCS / "_templates" / "gallery_header.rst", GALLERY_SOURCE / "GALLERY_HEADER.rst")
for script in sorted((REPO_ROOT / "examples").glob("*.py")):
    (GALLERY_SOURCE / script.name).symlink_to(script)

sphinx_gallery_conf = {
    "examples_dirs": str(GALLERY_SOURCE.relative_to(DOCS)),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/(plot_\w+|quickstart)\.py$",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "write_computation_times": False,
    "abort_on_example_error": True,
    "doc_module": ("sklearn_snn",),
    "backreferences_dir": "generated/backreferences",
}

# -- Link check: only local links; the network is not ours to depend on ------
linkcheck_ignore = [r"https?://"]

# -- Pages that others write: in the toctrees (and linked) once they exist --
# |accuracy_page| and the like link to a page, or name it while it is absent.
OPTIONAL_PAGES = {
    "scaling_out": "the page on scaling out",
    "saving_models": "the page on saving models",
    "accuracy": "the accuracy report",
}
rst_epilog = "\n".join(
    f".. |{page}_page| replace:: :doc:`/{page}`"
    if (DOCS / f"{page}.md").is_file()
    else f".. |{page}_page| replace:: {name} (not written yet)"
    for page, name in OPTIONAL_PAGES.items()
)


class OptionalTocTree(TocTree):
    """A toctree that leaves out the entries among OPTIONAL_PAGES that do not exist."""

    def run(self):
        found = self.state.document.settings.env.found_docs
        self.content = [
            entry
            for entry in self.content
            if entry.strip().lstrip("/") not in OPTIONAL_PAGES or entry.strip().lstrip("/") in found
        ]
        return super().run()


def skip_members_documented_by_sklearn(app, what, name, obj, skip, options):
    """Leave the methods inherited from scikit-learn to scikit-learn's reference."""
    if what == "class" and (getattr(obj, "__module__", None) or "").startswith("sklearn."):
        return True
    return None


def check_public_names_documented(app, env):
    """Warn (an error under -W) about names in ``sklearn_snn.__all__`` missing from api.rst."""
    python = env.get_domain("py")
    documented = {*python.objects, *python.modules}
    for name in sklearn_snn.__all__:
        if not any(
            entry == f"sklearn_snn.{name}"
            or (entry.startswith("sklearn_snn.") and entry.endswith(f".{name}"))
            for entry in documented
        ):
            logging.getLogger(__name__).warning(
                "sklearn_snn.%s is public (in __all__) but not documented in api.rst", name
            )


def report_what_is_left_out(app):
    """Say in the build log which pages are absent."""
    logger = logging.getLogger(__name__)
    for page in sorted(set(OPTIONAL_PAGES) - set(app.env.found_docs)):
        logger.info("docs/%s.md does not exist (yet): left out of the user guide", page)


def setup(app):
    app.add_directive("optional-toctree", OptionalTocTree)
    app.connect("env-updated", lambda app, env: report_what_is_left_out(app))
    app.connect("autodoc-skip-member", skip_members_documented_by_sklearn)
    app.connect("env-check-consistency", check_public_names_documented)
