-- The bot's posts that show a task (one row per task and post; a list post
-- has a row per task it shows), so that a change made from chat redraws
-- them in place. Sweep deletes rows older than TaskPostsKept.
CREATE TABLE IF NOT EXISTS bridge_task_posts (
	task_id    text NOT NULL,
	post_id    text NOT NULL,
	channel_id text NOT NULL,
	contact_id text NOT NULL,
	view       text NOT NULL,
	at         timestamptz NOT NULL,
	PRIMARY KEY (task_id, post_id)
);
CREATE INDEX IF NOT EXISTS bridge_task_posts_at ON bridge_task_posts (at);
