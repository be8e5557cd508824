-- The bridge's shared state. Every name starts with bridge_ so that the
-- tables can live beside others (a schema of their own is better: set
-- search_path in BRIDGE_DATABASE_URL).

-- Contacts' Mattermost threads; notes maps note IDs to their posts.
CREATE TABLE bridge_threads (
	contact_id text PRIMARY KEY,
	channel_id text NOT NULL,
	root_id    text NOT NULL,
	notes      jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE bridge_subscriptions (
	contact_id text NOT NULL,
	channel_id text NOT NULL,
	created_at timestamptz NOT NULL,
	PRIMARY KEY (contact_id, channel_id)
);

-- webhookIds reserved (committed = false) or accepted, until expires_at.
CREATE TABLE bridge_webhooks (
	id         text PRIMARY KEY,
	expires_at timestamptz NOT NULL,
	committed  boolean NOT NULL
);
CREATE INDEX bridge_webhooks_expires ON bridge_webhooks (expires_at);

-- The outbox. lead marks a contact's earliest event (and every event
-- without a contact): only those can be claimed, from the index by next
-- try. A claim moves next_try to the end of its lease.
CREATE TABLE bridge_outbox (
	seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	webhook_id text NOT NULL,
	type       text NOT NULL,
	contact_id text NOT NULL,
	payload    bytea NOT NULL,
	received   timestamptz NOT NULL,
	attempts   integer NOT NULL DEFAULT 0,
	next_try   timestamptz NOT NULL,
	last_error text NOT NULL DEFAULT '',
	posted     text[] NOT NULL DEFAULT '{}',
	claims     integer NOT NULL DEFAULT 0,
	lead       boolean NOT NULL
);
CREATE INDEX bridge_outbox_due ON bridge_outbox (next_try, seq) WHERE lead;
CREATE INDEX bridge_outbox_contact ON bridge_outbox (contact_id, seq) WHERE contact_id <> '';

-- Events that can never be posted.
CREATE TABLE bridge_dead (
	seq        bigint PRIMARY KEY,
	webhook_id text NOT NULL,
	type       text NOT NULL,
	contact_id text NOT NULL,
	payload    bytea NOT NULL,
	received   timestamptz NOT NULL,
	attempts   integer NOT NULL,
	last_error text NOT NULL,
	posted     text[] NOT NULL,
	died_at    timestamptz NOT NULL
);

-- Outbox counters, in shards (seq % 16) so that concurrent writers rarely
-- wait for one another; the stats add them up.
CREATE TABLE bridge_outbox_counts (
	shard    integer PRIMARY KEY,
	pending  bigint NOT NULL DEFAULT 0,
	retrying bigint NOT NULL DEFAULT 0,
	dead     bigint NOT NULL DEFAULT 0
);
INSERT INTO bridge_outbox_counts (shard) SELECT generate_series(0, 15);

CREATE TABLE bridge_completions (
	task_id    text PRIMARY KEY,
	contact_id text NOT NULL,
	user_id    text NOT NULL,
	user_name  text NOT NULL,
	at         timestamptz NOT NULL
);

-- Marks on the changes the bridge made itself.
CREATE TABLE bridge_own (
	key        text PRIMARY KEY,
	expires_at timestamptz NOT NULL
);
CREATE INDEX bridge_own_expires ON bridge_own (expires_at);
