"""Paper tables: several specifications side by side, as text, Markdown, LaTeX and Word.

Run: ``python examples/07_paper_tables.py``. Uses the calibrated simulator; writes
``paper_tables/`` in the current folder (``.txt``, ``.md``, ``.tex``, ``.docx``): the main
regression table in English and Chinese, summary statistics by pilot status, and the
staggered-robust comparison.
"""

import warnings
from pathlib import Path

import did_zones as dz

warnings.simplefilter("ignore", dz.DidZonesWarning)  # small cohorts etc. are noted in results

sim = dz.simulate_pilot_panel(seed=5)
panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
controls = ["lngdp_pc", "lnpop"]

# Four specifications of the main table: the hierarchy index with and without controls and
# with province-by-year effects, and the advancement index TS.
specs = [
    dz.twfe(panel, "isu"),
    dz.twfe(panel, "isu", controls=controls),
    dz.twfe(panel, "isu", controls=controls, fixed_effects=["unit", ("province", "time")]),
    dz.twfe(panel, "ts", controls=controls),
]
labels = {"treated": "Pilot zone", "lngdp_pc": "ln GDP per capita", "lnpop": "ln population",
          "isu": "Hierarchy (ISU)", "ts": "Advancement (TS)", "province": "Province"}
table = dz.regression_table(specs, labels=labels)
print(table.to_text(), "\n")

# The same table with Chinese labels, as many Chinese journals want it.
labels_zh = {"treated": "跨境电商综试区", "lngdp_pc": "人均GDP对数", "lnpop": "人口对数",
             "isu": "产业结构层次系数", "ts": "产业结构高级化", "province": "省份"}
table_zh = dz.regression_table(specs, labels=labels_zh, language="zh")
print(table_zh.to_text(), "\n")

# Descriptive statistics by pilot status, and the staggered-robust comparison table.
stats = dz.summary_stats(panel, ["isu", "ts", "lngdp_pc", "lnpop"], by="treated", labels=labels)
print(stats.to_text(), "\n")
cs = dz.callaway_santanna(panel, "isu")
robust = {"TWFE": specs[0], "Callaway-Sant'Anna": dz.aggregate(cs, kind="simple"),
          "Sun-Abraham": dz.sun_abraham(panel, "isu"), "BJS imputation": dz.imputation(panel, "isu"),
          "did2s": dz.did2s(panel, "isu")}
compare = dz.comparison_table(robust, labels=labels, title="Overall effect on ISU")
print(compare.to_text(), "\n")

out = Path("paper_tables")
out.mkdir(exist_ok=True)
# Every writer takes the same optional path: it returns the content and, given a path, also
# writes the file (UTF-8). ``table.save(path)`` picks the writer from the suffix.
table.to_text(out / "main.txt")
table.to_markdown(out / "main.md")
table.to_latex(out / "main.tex")  # booktabs
table.to_docx(out / "main.docx")
table_zh.to_docx(out / "main_zh.docx")
stats.to_docx(out / "summary.docx")
compare.to_docx(out / "comparison.docx")
compare.save(out / "comparison.tex")
print(table.to_latex(), "\n")
print("wrote", ", ".join(sorted(p.name for p in out.iterdir())), "to", out.resolve())
