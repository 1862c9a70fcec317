"""Turn a study's tables into the reStructuredText the docs include.

The paper and cv protocols' tables, from the committed runs (narrow
tables: accuracy, p-values, size and cost; the docs' column is too narrow
for the one wide table of ``results.md``)::

    python doc/study/to_rst.py --runs doc/study/paper_runs.csv \\
        --methods full random_cloud magnitude random > doc/study/paper_results.rst
    python doc/study/to_rst.py --runs doc/study/search_quick_runs.csv \\
        --methods full random_cloud naswot area > doc/study/search_quick_results.rst
    python doc/study/to_rst.py --runs doc/study/cv_runs.csv > doc/study/cv_results.rst

Any study's Markdown tables, as written::

    python doc/study/to_rst.py results/proxies/proxy_results.md > doc/study/proxy_results.rst
    python doc/study/to_rst.py results/sparsity/sparsity_results.md > doc/study/sparsity_results.rst
    python doc/study/to_rst.py results/saep/saep_results.md > doc/study/saep_results.rst

Every Markdown table becomes a ``list-table`` of class ``small`` (styled by
``doc/_static/tables.css``); the lines between tables are kept as
paragraphs, in order.
"""

import argparse


def _list_table(table):
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in table]
    rows = [rows[0]] + rows[2:]  # drop the |---| rule
    out = [".. list-table::", "   :header-rows: 1", "   :class: small", ""]
    for row in rows:
        out.append("   * - " + row[0].replace("*", "\\*"))
        out += ["     - " + cell.replace("*", "\\*") for cell in row[1:]]
    return out + [""]


def to_rst(markdown):
    out, table = [], []
    for line in markdown.splitlines() + [""]:
        if line.startswith("|"):
            table.append(line)
            continue
        if table:
            out += _list_table(table)
            table = []
        out.append(line.replace("*", "\\*"))
    return "\n".join(out).strip() + "\n"


def study_tables(runs_csv, methods=None):
    """The split Markdown tables of a paper- or cv-protocol runs CSV.

    Methods in the order given (default: as they first appear). The paper
    protocol's datasets in the paper's order, its seeds as run and the
    paper's Wilcoxon variant; the cv protocol's datasets as they first
    appear and scipy's Wilcoxon test, as its command line prints them.
    """
    from sklearn_rcloud.presets import PAPER_DATASETS
    from sklearn_rcloud.study import (
        CVProtocol,
        PaperProtocol,
        markdown_table,
        read_records,
    )
    from sklearn_rcloud.study._runner import StudyResult

    records = read_records(runs_csv)
    methods = methods or list(dict.fromkeys(r["method"] for r in records))
    records = [r for r in records if r["method"] in methods]
    if {r["protocol"] for r in records} == {"cv"}:
        protocol, wilcoxon = CVProtocol(), "scipy"
    else:
        order = list(PAPER_DATASETS)
        records.sort(key=lambda r: order.index(r["dataset"]))
        seeds = tuple(dict.fromkeys(r["seed"] for r in records))
        protocol, wilcoxon = PaperProtocol(seeds=seeds), "paper"
    result = StudyResult(records, protocol, methods)
    return markdown_table(result, wilcoxon=wilcoxon, split=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("markdown", nargs="?", help="a Markdown file of tables")
    parser.add_argument("--runs", help="a paper- or cv-protocol runs CSV instead")
    parser.add_argument("--methods", nargs="+", help="with --runs: these, in order")
    args = parser.parse_args()
    if args.runs:
        markdown = study_tables(args.runs, args.methods)
    else:
        with open(args.markdown) as handle:
            markdown = handle.read()
    print(to_rst(markdown), end="")
