"""Turn a study's ``results.md`` into the list-table ``study.rst`` includes.

python doc/study/to_rst.py results/paper/results.md > doc/study/paper_results.rst
"""

import sys


def to_rst(markdown):
    lines = markdown.splitlines()
    table = [line for line in lines if line.startswith("|")]
    notes = [line for line in lines if line and not line.startswith("|")]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in table]
    rows = [rows[0]] + rows[2:]  # drop the |---| rule
    out = [".. list-table::", "   :header-rows: 1", "   :class: small", ""]
    for row in rows:
        out.append("   * - " + row[0].replace("*", "\\*"))
        out += ["     - " + cell.replace("*", "\\*") for cell in row[1:]]
    return "\n".join(out + [""] + notes)


if __name__ == "__main__":
    with open(sys.argv[1]) as handle:
        print(to_rst(handle.read()))
