"""The order of the example gallery: the quick start first, then by name.

sphinx-gallery's ``within_subsection_order`` names this class by its import
path (``conf.py`` puts this folder on ``sys.path``), as its own sort keys are
named, so the configuration stays picklable.
"""

FIRST = ("plot_quickstart.py",)


class QuickStartFirst:
    """Sort key: the examples of :data:`FIRST` in that order, then by file name.

    Parameters
    ----------
    src_dir : str
        The gallery's source folder (sphinx-gallery passes it; unused).
    """

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        rank = FIRST.index(filename) if filename in FIRST else len(FIRST)
        return (rank, filename)

    def __repr__(self):
        return f"<{type(self).__name__}>"
