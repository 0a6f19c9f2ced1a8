"""MQTT ingest: the consumer that feeds gateway traffic to `hub.crm.ingest.IngestService`."""
