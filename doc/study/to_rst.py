"""Turn a study's Markdown tables into the reStructuredText the docs include.

python doc/study/to_rst.py results/paper/results.md > doc/study/paper_results.rst
python doc/study/to_rst.py results/proxies/proxy_results.md > doc/study/proxy_results.rst
python doc/study/to_rst.py results/sparsity/sparsity_results.md > doc/study/sparsity_results.rst
python doc/study/to_rst.py results/saep/saep_results.md > doc/study/saep_results.rst

Every Markdown table becomes a ``list-table``; the lines between tables are
kept as paragraphs, in order.
"""

import sys


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


if __name__ == "__main__":
    with open(sys.argv[1]) as handle:
        print(to_rst(handle.read()), end="")
