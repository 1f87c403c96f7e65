"""The project's tools: the benchmark (`python -m scripts.benchmark`, run by scripts/bench) and the
throwaway servers the tests and the benchmark start (`scripts.servers`)."""
