"""Statistics and forecasts over an office's history (pure logic plus thin command wrappers)."""
