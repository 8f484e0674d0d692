"""The performance benchmark (``make bench``): see bench/RESULTS.md for the latest figures."""
