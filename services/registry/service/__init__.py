"""Registry use cases, one module per aggregate. Each use case is a unit of work: it owns the transaction in which
the state change, its integration event (outbox) and its audit entry commit together."""
