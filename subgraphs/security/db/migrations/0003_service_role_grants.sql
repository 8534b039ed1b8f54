-- The service runs as a role that may read and append audit rows, and nothing more; a separate owner role runs
-- these migrations. The service's login role is made a member of palisade_security_service by the operator
-- (GRANT palisade_security_service TO <service login>). The group is created here when the owner may create
-- roles; otherwise the operator creates it first (CREATE ROLE palisade_security_service NOLOGIN).
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'palisade_security_service') THEN
    CREATE ROLE palisade_security_service NOLOGIN;
  END IF;
EXCEPTION WHEN insufficient_privilege OR duplicate_object OR unique_violation THEN
  RAISE NOTICE 'palisade_security_service not created here';
END $$;
--> statement-breakpoint
DO $$ BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'palisade_security_service') THEN
    GRANT USAGE ON SCHEMA "security" TO palisade_security_service;
    GRANT SELECT, INSERT ON "security"."audit_events", "security"."audit_dead_letters" TO palisade_security_service;
    -- alerts are the service's own working data: counted up and acknowledged
    GRANT SELECT, INSERT, UPDATE ON "security"."security_alerts" TO palisade_security_service;
    GRANT SELECT ON "security"."__migrations" TO palisade_security_service;
    GRANT USAGE ON ALL SEQUENCES IN SCHEMA "security" TO palisade_security_service;
    -- tables added by later migrations: read and append by default, anything more granted there
    ALTER DEFAULT PRIVILEGES IN SCHEMA "security" GRANT SELECT, INSERT ON TABLES TO palisade_security_service;
    ALTER DEFAULT PRIVILEGES IN SCHEMA "security" GRANT USAGE ON SEQUENCES TO palisade_security_service;
  END IF;
END $$;
