"""The five Seedbed services; each owns its database and talks to the others through Kafka events."""
