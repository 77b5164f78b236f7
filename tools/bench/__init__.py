"""`make bench`: what our cold start and per-request overhead cost, next to a bare boto3 handler.

Every function is measured from the artifacts Lambda runs (`sam build` output, the layer built by
its Makefile) in fresh processes, side by side with a baseline handler that makes the same
DynamoDB calls with plain boto3 and nothing else. The report (reports/bench.md, .json) gives the
ratios the performance targets are written in; docs/benchmarks.md explains one run.
"""
