"""Rule-based answer analysis behind the registered scorers (see ``probes.scorers``).

``refusal``  - refusal detection (our default detector and the original MultiTrust keyword list)
``yesno``    - yes/no extraction (default multilingual extractor and the original rule)
``pii``      - leaked-PII matching (exact and fuzzy)
``rules``    - the scorers themselves, registered by name when ``probes.scorers`` is imported
"""
