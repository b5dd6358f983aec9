"""Helpers of the multi-process load tests: the workers, their forkserver, the load world."""
