-- Semantic search (contract section 10, docs/search.md). Only used with training-store.search.enabled.

-- One row: whether search is on and which model embeds. The trigger below reads it, so a store with
-- search off pays one cheap lookup per insert statement of messages and queues nothing.
CREATE TABLE training_data.search_state (
    id      int     PRIMARY KEY CHECK (id = 1),
    enabled boolean NOT NULL,
    model   text    NOT NULL
);

-- Messages waiting to be embedded. Filled by the trigger as messages are stored and by the
-- start-up backfill; a worker claims rows with FOR UPDATE SKIP LOCKED and deletes them in the
-- transaction that writes their vectors, so a crash puts them back and two replicas never take
-- the same message. Workers take the newest first (id descending), so a message just stored is
-- searchable within seconds even while a backfill of older ones is under way.
CREATE TABLE training_data.search_queue (
    id         bigserial PRIMARY KEY,
    message_id text      NOT NULL UNIQUE
);

-- One vector per message and model (a model change re-embeds). Conversation, agent, task and
-- occurred_at are copied from the (insert-once) message so each replica builds its index from
-- this table alone; id orders the rows for the replicas that tail it.
CREATE TABLE training_data.search_vectors (
    id              bigserial   NOT NULL UNIQUE,
    message_id      text        NOT NULL REFERENCES training_data.training_messages (message_id) ON DELETE CASCADE,
    model           text        NOT NULL,
    conversation_id text        NOT NULL,
    agent_id        text,
    task_id         text,
    occurred_at     timestamptz NOT NULL,
    vector          bytea       NOT NULL,
    embedded_by     text        NOT NULL,
    embedded_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, model)
);
CREATE INDEX search_vectors_conversation ON training_data.search_vectors (conversation_id, model);

CREATE FUNCTION training_data.queue_for_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM training_data.search_state WHERE enabled) THEN
        INSERT INTO training_data.search_queue (message_id)
        SELECT message_id FROM new_rows WHERE role IN ('user', 'assistant') AND content <> ''
        ON CONFLICT (message_id) DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER messages_queued_for_search AFTER INSERT ON training_data.training_messages
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION training_data.queue_for_search();
