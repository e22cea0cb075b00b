-- Roles are cluster-wide and may exist from another database or an earlier run: create only if missing.
do $$
begin
  if not exists (select from pg_roles where rolname = 'app_ro') then create role app_ro nologin; end if;
  if not exists (select from pg_roles where rolname = 'app_rw') then create role app_rw nologin; end if;
  if not exists (select from pg_roles where rolname = 'migrator') then create role migrator nologin; end if;
end
$$;

create schema if not exists trading;
-- Nobody but the owner and the roles below touches the schema; PUBLIC gets nothing.
revoke all on schema trading from public;
grant usage, create on schema trading to migrator;
grant usage on schema trading to app_rw, app_ro;

-- ISO 4217 codes: every money column references this table, so 'usd' or 'XX' cannot be stored.
create table trading.currencies (
  code        char(3) primary key check (code ~ '^[A-Z]{3}$'),
  minor_units smallint not null check (minor_units between 0 and 4),
  name        text not null
);
insert into trading.currencies (code, minor_units, name) values
  ('USD', 2, 'US Dollar'), ('EUR', 2, 'Euro'), ('GBP', 2, 'Pound Sterling'), ('JPY', 0, 'Yen'),
  ('CHF', 2, 'Swiss Franc'), ('CAD', 2, 'Canadian Dollar'), ('AUD', 2, 'Australian Dollar'),
  ('HKD', 2, 'Hong Kong Dollar'), ('SGD', 2, 'Singapore Dollar'), ('SEK', 2, 'Swedish Krona');
