-- One-time tokens, taken own-change marks, suspended destinations, and
-- what the sweep prunes by age.

-- Nonces of dialog states and confirmation buttons, used until expires_at.
CREATE TABLE bridge_nonces (
	key        text PRIMARY KEY,
	expires_at timestamptz NOT NULL
);
CREATE INDEX bridge_nonces_expires ON bridge_nonces (expires_at);

-- A mark its webhook took: still the bridge's change (IsOwn), matched no
-- more (TakeOwn).
ALTER TABLE bridge_own ADD COLUMN taken boolean NOT NULL DEFAULT false;

-- Destinations Mattermost refuses the bot's posts in.
CREATE TABLE bridge_suspensions (
	channel_id text PRIMARY KEY,
	since      timestamptz NOT NULL,
	failures   integer NOT NULL,
	reason     text NOT NULL DEFAULT ''
);

-- Completions and dead letters are pruned by age.
CREATE INDEX bridge_completions_at ON bridge_completions (at);
ALTER TABLE bridge_dead ADD COLUMN next_try timestamptz;
UPDATE bridge_dead SET next_try = died_at;
ALTER TABLE bridge_dead ALTER COLUMN next_try SET NOT NULL;
CREATE INDEX bridge_dead_age ON bridge_dead ((greatest(next_try, received)));
