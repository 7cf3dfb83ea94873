"""The Kafka event bus: outbox + relay on the producing side, inbox + dead letters on the consuming side."""
