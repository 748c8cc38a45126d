"""Judges: an endpoint that grades other endpoints' answers with a task's yes/no judge prompt.

``verdict`` renders a judge prompt, reads the judge's reply and puts the judge's and the rule scorer's verdicts
side by side; ``calibrate`` measures a judge on the labelled answer corpus before its verdicts are trusted.
"""
