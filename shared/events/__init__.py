"""Integration events: the CloudEvents envelope, the topic catalogue and one payload module per producer."""
