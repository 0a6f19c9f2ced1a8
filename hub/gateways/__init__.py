"""The gateway fleet: registry, status, cache deltas and snapshots, commands to gateways."""
