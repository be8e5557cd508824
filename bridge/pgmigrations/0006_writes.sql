-- Writes to HighLevel under way, per contact: every replica holds the
-- contact's events until the write is over (and marked as the bridge's
-- own) or its mark expires.
CREATE TABLE bridge_writes (
	contact_id text NOT NULL,
	id         text NOT NULL,
	expires_at timestamptz NOT NULL,
	PRIMARY KEY (contact_id, id)
);
CREATE INDEX bridge_writes_expires ON bridge_writes (expires_at);
