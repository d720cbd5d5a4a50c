"""The OData collection engine: option parsing, the $filter compiler, $search and the engine."""
