"""The experiments, each built on the harness: proxies, sparsity, SAEP.

The sparsity and SAEP experiments fit the library's estimators. The proxy
experiment measures the proxies themselves (every proxy's score of the very
weights a topology is then trained from), which no estimator exposes, so it
scores and trains through the layers directly.
"""
