-- Least privilege. app_ro reads; app_rw trades but cannot rewrite the ledger (insert and select only
-- on transaction_history); migrator changes the schema. Future objects get the same grants.
grant select on all tables in schema trading to app_ro;
grant select, insert, update, delete on trading.users, trading.accounts, trading.portfolios, trading.holdings, trading.orders to app_rw;
grant select on trading.currencies, trading.instruments to app_rw;
grant select, insert on trading.transaction_history to app_rw;
grant usage on all sequences in schema trading to app_rw;
grant app_rw to migrator;
revoke execute on function trading.maintain_transaction_partitions(int, int, boolean, date) from public;
grant execute on function trading.maintain_transaction_partitions(int, int, boolean, date) to migrator;
alter default privileges in schema trading grant select on tables to app_ro;
