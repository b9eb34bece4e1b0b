-- The example service's own table, applied at start-up when DATABASE_URL is
-- set: the `migrations` component checks that it is.
CREATE TABLE IF NOT EXISTS health_example_checkpoints (
    id INTEGER PRIMARY KEY,
    written_at BIGINT NOT NULL
);
