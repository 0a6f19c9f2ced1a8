"""Broker provisioning: Mosquitto config from the shipped templates (broker_config), per-gateway
credentials and reload (passwords), and the `storepulse broker` commands (cli.broker_app)."""
