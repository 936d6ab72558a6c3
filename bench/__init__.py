"""The benchmark harness (``make bench``): a national-size synthetic dataset and the figures measured on it."""
