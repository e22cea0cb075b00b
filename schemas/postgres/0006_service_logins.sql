-- Service logins get their privileges from the roles, never directly. The login itself (and its
-- password) is created by the platform (the local tier here, a bootstrap Job on Kubernetes), so the
-- grant applies only where that login exists: a migration must not invent credentials.
do $$
begin
  if exists (select from pg_roles where rolname = 'app') then
    grant app_rw, app_ro to app;
  end if;
end
$$;

-- Services compare the applied schema version with the one they were built against (DatabaseManager).
grant select on public.schema_migrations to app_ro;
