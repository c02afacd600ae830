-- The trajectories dataset reads tasks in task_id order, bytewise (collation "C", the same on
-- every server): this index gives that order without a sort, so a dataset streams from its
-- first row and resumes (after=<task_id>) without reading what came before.
CREATE INDEX training_tasks_task_order ON training_data.training_tasks (task_id COLLATE "C");
