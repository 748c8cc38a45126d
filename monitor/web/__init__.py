"""The run report: pages served on the monitor's HTTP listener, reviewer verdicts, and the one-file export.

``WebRoom`` mounts the pages; ``Sources`` is what they read; ``views`` computes a page's data, ``render`` turns it
into HTML (Jinja2, imported on first use), ``radar`` draws the chart, ``labels`` turns reviewer verdicts into
corpus rows, ``auth`` decides who may see and who may judge.
"""
