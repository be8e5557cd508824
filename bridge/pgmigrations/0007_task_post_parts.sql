-- A task list too long for one post is recorded post by post: its place
-- (part, from 0) among the posts it took (parts; 0: one post), so that
-- each is redrawn with its own part.
ALTER TABLE bridge_task_posts ADD COLUMN part integer NOT NULL DEFAULT 0;
ALTER TABLE bridge_task_posts ADD COLUMN parts integer NOT NULL DEFAULT 0;
