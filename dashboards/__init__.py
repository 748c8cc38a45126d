"""Trust Monitor's Grafana dashboards, generated from Python with grafana-foundation-sdk (see README.md here).

``python -m dashboards.generate`` writes the committed JSON files; ``--check`` says whether they are current.
"""
