"""The store gateway: readers and POS in, outbox and MQTT out, prompts for the clerk."""
