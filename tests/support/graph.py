"""Graph's addresses as the tests use them (the global cloud, which the sandbox serves)."""

GRAPH_HOST = "https://graph.microsoft.com"
GRAPH = f"{GRAPH_HOST}/v1.0"
