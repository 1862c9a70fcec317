"""Turn a study's tables into the reStructuredText the docs include.

The paper protocol's tables, from the committed runs (three narrow tables:
accuracy, p-values, size and cost; the docs' column is too narrow for the
one wide table of ``results.md``)::

    python doc/study/to_rst.py --runs doc/study/paper_runs.csv > doc/study/paper_results.rst
    python doc/study/to_rst.py --runs doc/study/search_quick_runs.csv \\
        --methods full random_cloud naswot area > doc/study/search_quick_results.rst

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


def paper_tables(runs_csv, methods=None, wilcoxon="paper"):
    """The paper protocol's split Markdown tables from a runs CSV: datasets
    in the paper's order, seeds as run, methods in the order given (default:
    as they first appear)."""
    from sklearn_rcloud.presets import PAPER_DATASETS
    from sklearn_rcloud.study import PaperProtocol, markdown_table, read_records
    from sklearn_rcloud.study._runner import StudyResult

    records = read_records(runs_csv)
    methods = methods or list(dict.fromkeys(r["method"] for r in records))
    order = list(PAPER_DATASETS)
    records = sorted(
        (r for r in records if r["method"] in methods),
        key=lambda r: order.index(r["dataset"]),
    )
    seeds = tuple(dict.fromkeys(r["seed"] for r in records))
    result = StudyResult(records, PaperProtocol(seeds=seeds), methods)
    return markdown_table(result, wilcoxon=wilcoxon, split=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("markdown", nargs="?", help="a Markdown file of tables")
    parser.add_argument("--runs", help="a paper-protocol runs CSV instead")
    parser.add_argument("--methods", nargs="+", help="with --runs: these, in order")
    args = parser.parse_args()
    if args.runs:
        markdown = paper_tables(args.runs, args.methods)
    else:
        with open(args.markdown) as handle:
            markdown = handle.read()
    print(to_rst(markdown), end="")
