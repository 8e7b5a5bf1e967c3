"""The live queue: wait prediction and the office-day simulation that benchmarks it (pure logic)."""
