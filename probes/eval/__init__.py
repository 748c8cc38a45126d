"""Evaluation of the scorers themselves on labelled sets written for the project."""
