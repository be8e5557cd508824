-- App mode: the location each channel acts on, and the channels each
-- location's events go to (the index keeps routing a location's event
-- independent of the number of other links).
CREATE TABLE bridge_channel_links (
	channel_id  text PRIMARY KEY,
	location_id text NOT NULL,
	linked_at   timestamptz NOT NULL
);
CREATE INDEX bridge_channel_links_location ON bridge_channel_links (location_id, channel_id COLLATE "C");
