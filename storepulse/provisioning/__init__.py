"""Broker provisioning: Mosquitto config from deploy/mosquitto/ (broker_config), per-gateway
credentials and reload (passwords), and the `storepulse broker` commands (cli.broker_app)."""
