-- Cluster-wide roles, created once by a superuser (the compose database's init script runs this file;
-- the migration runner runs it too when it connects with CREATEROLE). Idempotent.
--
-- observatory_reader: Grafana and people exploring in SQL. SELECT on the public surface only (granted by
--   migration 005), read-only transactions, and a statement timeout so one heavy dashboard query
--   cannot hold the database. Created without a password: the deployment sets one.
-- observatory_collector: the service. It owns the database and runs the migrations, so it needs no
--   grants; it is not a superuser and has no CREATEROLE.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'observatory_reader') THEN
    CREATE ROLE observatory_reader LOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'observatory_collector') THEN
    CREATE ROLE observatory_collector LOGIN;
  END IF;
EXCEPTION
  -- Two databases bootstrapping at once (parallel tests): the other one created it.
  WHEN duplicate_object OR unique_violation THEN NULL;
END;
$$;
ALTER ROLE observatory_reader SET statement_timeout = '30s';
ALTER ROLE observatory_reader SET default_transaction_read_only = on;
ALTER ROLE observatory_reader SET idle_in_transaction_session_timeout = '60s';
