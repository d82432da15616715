"""Consumer-driven contracts of the three services (see contracts/README.md)."""
