"""Proto <-> domain mapping for the accruals gRPC API; one module per area."""
