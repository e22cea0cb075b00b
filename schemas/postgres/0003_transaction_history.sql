-- Append-only ledger, range-partitioned by month. Rows for months without a partition land in the
-- default partition; maintenance moves them into their month when it creates it.
create table trading.transaction_history (
  id            bigint generated always as identity,
  account_id    bigint not null references trading.accounts (id),
  occurred_at   timestamptz not null,
  kind          text not null check (kind in ('deposit', 'withdrawal', 'buy', 'sell', 'fee', 'dividend', 'interest', 'transfer')),
  instrument_id bigint references trading.instruments (id),
  order_id      bigint,
  quantity      numeric(28, 8),
  price         numeric(20, 8) check (price >= 0),
  amount        numeric(20, 4) not null,
  currency      char(3) not null references trading.currencies (code),
  note          text,
  primary key (id, occurred_at),
  constraint transaction_trade_fields check (
    (kind in ('buy', 'sell')) = (instrument_id is not null and quantity is not null and quantity > 0 and price is not null)
  ),
  -- Money signs follow the cash movement: deposits add, withdrawals and fees take away, trades either.
  constraint transaction_amount_sign check (
    case kind
      when 'deposit' then amount > 0
      when 'withdrawal' then amount < 0
      when 'fee' then amount < 0
      when 'buy' then amount <= 0
      when 'sell' then amount >= 0
      else amount <> 0
    end
  )
) partition by range (occurred_at);

create table trading.transaction_history_default partition of trading.transaction_history default;
create index transaction_history_account_time_idx on trading.transaction_history (account_id, occurred_at desc);
create index transaction_history_order_idx on trading.transaction_history (order_id) where order_id is not null;

/*
 * Pre-creates the partitions for the month of `as_of` and the next `months_ahead` months, and retires
 * month partitions older than `retention_months` (counting the current month): detached, and dropped
 * only when `drop_expired` (the provider passes allowDestructiveChanges). Bounds are in UTC.
 */
create function trading.maintain_transaction_partitions(
  months_ahead int,
  retention_months int,
  drop_expired boolean default false,
  as_of date default current_date
) returns table (action text, partition_name text)
language plpgsql
set timezone to 'UTC'
as $$
declare
  first_month date := date_trunc('month', as_of)::date;
  oldest_kept date;
  m date;
  part text;
  r record;
begin
  if months_ahead < 0 or retention_months < 1 then
    raise exception 'maintain_transaction_partitions: months_ahead must be >= 0 and retention_months >= 1, got % and %',
      months_ahead, retention_months;
  end if;
  for i in 0..months_ahead loop
    m := (first_month + make_interval(months => i))::date;
    part := format('transaction_history_y%sm%s', to_char(m, 'YYYY'), to_char(m, 'MM'));
    if to_regclass(format('trading.%I', part)) is null then
      execute format('create table trading.%I (like trading.transaction_history including defaults including constraints)', part);
      execute format(
        'with moved as (delete from trading.transaction_history_default where occurred_at >= %L and occurred_at < %L returning *)
         insert into trading.%I select * from moved',
        m, (m + interval '1 month')::date, part);
      execute format('alter table trading.transaction_history attach partition trading.%I for values from (%L) to (%L)',
        part, m, (m + interval '1 month')::date);
      action := 'created';
      partition_name := part;
      return next;
    end if;
  end loop;

  oldest_kept := (first_month - make_interval(months => retention_months - 1))::date;
  for r in
    select c.relname, (regexp_match(c.relname, 'y([0-9]{4})m([0-9]{2})$')) as ym
      from pg_inherits i join pg_class c on c.oid = i.inhrelid
     where i.inhparent = 'trading.transaction_history'::regclass
       and c.relname ~ '^transaction_history_y[0-9]{4}m[0-9]{2}$'
     order by c.relname
  loop
    if make_date(r.ym[1]::int, r.ym[2]::int, 1) < oldest_kept then
      execute format('alter table trading.transaction_history detach partition trading.%I', r.relname);
      if drop_expired then
        execute format('drop table trading.%I', r.relname);
        action := 'dropped';
      else
        action := 'detached';
      end if;
      partition_name := r.relname;
      return next;
    end if;
  end loop;
end
$$;
