-- The conversations dataset reads messages in conversation order, bytewise (collation "C", the
-- same on every server), then seq (messages without one last), occurred_at and message_id: this
-- index gives that order without a sort, so a dataset streams from its first row.
CREATE INDEX training_messages_conversation_order
    ON training_data.training_messages (conversation_id COLLATE "C", seq, occurred_at, message_id);
