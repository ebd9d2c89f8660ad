"""The HTML skeleton of the study report: one self-contained page, inline CSS, no scripts.

Nothing is fetched from the network (no web fonts, no CDN); figures are relative
``figures/*.png`` files next to the page.
"""

from __future__ import annotations

__all__ = ["CSS", "PAGE"]

CSS = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC",
       "Microsoft YaHei", system-ui, -apple-system, "Segoe UI", Helvetica, Arial,
       sans-serif; max-width: 68rem; margin: 2rem auto; padding: 0 1.5rem;
       color: #1f2328; line-height: 1.5; }
h1 { font-size: 1.8rem; border-bottom: 2px solid #1f2328; padding-bottom: .3rem; }
h2 { font-size: 1.35rem; margin-top: 2.5rem; border-bottom: 1px solid #d0d7de;
     padding-bottom: .2rem; }
nav ol { columns: 2; font-size: .95rem; }
table { border-collapse: collapse; margin: 1rem 0; font-size: .9rem;
        font-variant-numeric: tabular-nums; }
th, td { padding: .25rem .7rem; text-align: right; border: none; }
th:first-child, td:first-child { text-align: left; }
thead tr:first-child th { border-top: 2px solid #1f2328; }
thead tr:last-child th { border-bottom: 1px solid #1f2328; }
tbody tr:last-child td { border-bottom: 2px solid #1f2328; }
caption { caption-side: top; font-weight: 600; text-align: left; padding: .3rem 0; }
figure { margin: 1.5rem 0; }
figure img { max-width: min(100%, 52rem); height: auto; border: 1px solid #eaeef2; }
figcaption { font-size: .9rem; color: #57606a; }
.table-wrap { overflow-x: auto; }
.files { font-size: .85rem; color: #57606a; }
p.meta { color: #57606a; }
ul.notes li { font-size: .9rem; }
section.flags { border-left: 4px solid #bf8700; background: #fff8c5; padding: .2rem 1rem;
                margin: 1rem 0; }
section.flags h2 { margin-top: .5rem; border: none; }
p.flag { border-left: 4px solid #bf8700; background: #fff8c5; padding: .3rem .7rem; }
"""

PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<h1>{title}</h1>
<p class="meta">{meta}</p>
{flags}
<nav><ol>
{toc}
</ol></nav>
{body}
</body>
</html>
"""
