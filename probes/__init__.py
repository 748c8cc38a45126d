"""The probe suite: the MultiTrust task catalogue, shipped samples and rule scorers."""
