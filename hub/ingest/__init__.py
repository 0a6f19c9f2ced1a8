"""MQTT ingest: the consumer that feeds gateway traffic to `hub.ingest.service.IngestService`."""
