-- HighLevel OAuth tokens, one row per location or company ID, sealed with
-- AES-256-GCM (oauth.Sealer: key ID, nonce, ciphertext; the key is bound in
-- as additional data). Never plain text.
CREATE TABLE bridge_oauth_tokens (
	key        text PRIMARY KEY,
	sealed     bytea NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now()
);
