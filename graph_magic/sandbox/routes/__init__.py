"""Graph's routes, one module per entity with its reads and writes together, plus $batch."""
