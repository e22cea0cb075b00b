-- Transactional outbox: a service writes its domain event in the same transaction as the change it
-- describes, so an event exists if and only if the change committed. The relay (runtime/cdc) publishes
-- unpublished rows in id order and stamps published_at; a crash between publish and stamp republishes,
-- so consumers deduplicate on event_id (at-least-once delivery, exactly-once effect).
create table trading.outbox (
  id             bigint generated always as identity primary key,
  event_id       uuid not null default gen_random_uuid() unique,
  aggregate_type text not null check (aggregate_type in ('order', 'trade', 'portfolio')),
  aggregate_id   text not null check (aggregate_id <> ''),
  event_type     text not null check (event_type ~ '^[a-z][a-z0-9_.]*$'),
  payload        jsonb not null,
  created_at     timestamptz not null default now(),
  published_at   timestamptz
);
-- The relay's only query: the oldest unpublished events. Stays small because published rows leave it.
create index outbox_unpublished_idx on trading.outbox (id) where published_at is null;

grant select, insert on trading.outbox to app_rw;
grant update (published_at) on trading.outbox to app_rw;
grant select on trading.outbox to app_ro;
grant usage on all sequences in schema trading to app_rw;

-- What Debezium streams to analytics. publish_via_partition_root: changes of the monthly partitions
-- arrive as trading.transaction_history, and partitions created later are included without a change.
create publication cdc_analytics
  for table trading.transaction_history, trading.accounts, trading.holdings
  with (publish_via_partition_root = true);
