"""Proto <-> domain mapping for the meters gRPC API, one module per area."""
