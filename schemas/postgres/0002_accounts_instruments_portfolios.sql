create table trading.users (
  id         bigint generated always as identity primary key,
  email      text not null check (email ~ '^[^@\s]+@[^@\s]+$'),
  full_name  text not null,
  created_at timestamptz not null default now()
);
create unique index users_email_key on trading.users (lower(email));

-- Cash may only go negative on a margin account, and then no further than its limit.
create table trading.accounts (
  id             bigint generated always as identity primary key,
  user_id        bigint not null references trading.users (id),
  base_currency  char(3) not null references trading.currencies (code),
  cash_balance   numeric(20, 4) not null default 0,
  margin_enabled boolean not null default false,
  margin_limit   numeric(20, 4) not null default 0 check (margin_limit >= 0),
  status         text not null default 'active' check (status in ('active', 'suspended', 'closed')),
  created_at     timestamptz not null default now(),
  constraint accounts_no_negative_cash check (cash_balance >= 0 or (margin_enabled and cash_balance >= -margin_limit)),
  constraint accounts_margin_limit_needs_margin check (margin_enabled or margin_limit = 0)
);
create index accounts_user_id_idx on trading.accounts (user_id);

create table trading.instruments (
  id          bigint generated always as identity primary key,
  symbol      text not null unique check (symbol ~ '^[A-Z0-9.\-]{1,16}$'),
  isin        char(12) unique check (isin ~ '^[A-Z]{2}[A-Z0-9]{9}[0-9]$'),
  name        text not null,
  asset_class text not null check (asset_class in ('equity', 'etf', 'bond', 'fx', 'future', 'option', 'crypto')),
  currency    char(3) not null references trading.currencies (code),
  lot_size    numeric(20, 8) not null default 1 check (lot_size > 0),
  tick_size   numeric(20, 10) not null default 0.01 check (tick_size > 0),
  active      boolean not null default true
);

create table trading.portfolios (
  id         bigint generated always as identity primary key,
  account_id bigint not null references trading.accounts (id),
  name       text not null,
  created_at timestamptz not null default now(),
  unique (account_id, name)
);
create index portfolios_account_id_idx on trading.portfolios (account_id);

-- Long-only holdings: a short position is an order-book concept here, never a negative quantity.
create table trading.holdings (
  portfolio_id  bigint not null references trading.portfolios (id),
  instrument_id bigint not null references trading.instruments (id),
  quantity      numeric(28, 8) not null check (quantity >= 0),
  average_cost  numeric(20, 8) not null check (average_cost >= 0),
  updated_at    timestamptz not null default now(),
  primary key (portfolio_id, instrument_id)
);
create index holdings_instrument_id_idx on trading.holdings (instrument_id);

create table trading.orders (
  id               bigint generated always as identity primary key,
  account_id       bigint not null references trading.accounts (id),
  portfolio_id     bigint not null references trading.portfolios (id),
  instrument_id    bigint not null references trading.instruments (id),
  client_order_id  text not null,
  side             text not null check (side in ('buy', 'sell')),
  order_type       text not null check (order_type in ('market', 'limit', 'stop', 'stop_limit')),
  quantity         numeric(28, 8) not null check (quantity > 0),
  limit_price      numeric(20, 8) check (limit_price > 0),
  stop_price       numeric(20, 8) check (stop_price > 0),
  filled_quantity  numeric(28, 8) not null default 0,
  status           text not null default 'new'
                     check (status in ('new', 'partially_filled', 'filled', 'cancelled', 'rejected', 'expired')),
  time_in_force    text not null default 'day' check (time_in_force in ('day', 'gtc', 'ioc', 'fok')),
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  unique (account_id, client_order_id),
  constraint orders_fill_within_quantity check (filled_quantity >= 0 and filled_quantity <= quantity),
  constraint orders_limit_price_matches_type check ((order_type in ('limit', 'stop_limit')) = (limit_price is not null)),
  constraint orders_stop_price_matches_type check ((order_type in ('stop', 'stop_limit')) = (stop_price is not null)),
  constraint orders_filled_status check ((status = 'filled') = (filled_quantity = quantity))
);
create index orders_account_created_idx on trading.orders (account_id, created_at desc);
create index orders_open_idx on trading.orders (instrument_id, created_at) where status in ('new', 'partially_filled');
