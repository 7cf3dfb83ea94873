"""Registry HTTP routers, one module per resource."""
