-- Grants for the read-only role (created by sql/bootstrap/roles.sql): SELECT on everything in schema
-- public, which is the product's SQL surface, and nothing in schema internal (bookkeeping: migrations,
-- settings, backfill progress). No CREATE anywhere; only owners can drop.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'observatory_reader') THEN
    RAISE EXCEPTION 'role observatory_reader does not exist: run sql/bootstrap/roles.sql as a superuser first';
  END IF;
END;
$$;

REVOKE CREATE ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON SCHEMA internal FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO observatory_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO observatory_reader;
-- Every table, view and aggregate that later migrations create in public is readable too.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO observatory_reader;
