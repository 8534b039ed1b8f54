-- Audit rows are written once and never changed: nobody, the service's own role included, may UPDATE,
-- DELETE or TRUNCATE them (the trigger from 0000 also refuses, for roles that could grant themselves back).
REVOKE UPDATE, DELETE, TRUNCATE ON "security"."audit_events" FROM PUBLIC;
--> statement-breakpoint
DO $$ BEGIN EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON "security"."audit_events" FROM %I', current_user); END $$;
